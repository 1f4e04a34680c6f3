"""/api/ops and the failed-job actions over HTTP, and `dedupcrawl ops`, on a real Redis with a
real worker process failing a job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis
from fastapi.testclient import TestClient
from rq import Queue

from tests.cli_process import clean_env, run_cli
from tests.engine_stack import stores
from tests.web_data import KEYS
from workers.web import create_app

TOKEN = "ops-api-token"


def _failed_job(connection: redis.Redis, env: dict[str, str]) -> str:
    job = Queue("ingest", connection=connection).enqueue("workers.no_such_module.ingest", "doc-1")
    subprocess.run([sys.executable, "-m", "workers", "-q", "worker", "--burst", "--queues", "ingest"],
                   env=env, capture_output=True, timeout=120, check=True)  # fmt: skip
    return str(job.id)


def test_api_lists_failed_jobs_and_acts_with_the_token(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(tmp_path), DEDUPCRAWL_KEY_PREFIX=KEYS.prefix)
    job_id = _failed_job(redis_client, env)
    client = TestClient(
        create_app(stores(redis_client, KEYS, warc_dir=tmp_path / "warc"), tmp_path / "warc", TOKEN)
    )
    ops = client.get("/api/ops").json()
    assert [j["id"] for j in ops["failed"]] == [job_id] and "no_such_module" in ops["failed"][0]["traceback"]
    assert {q["name"]: q["failed"] for q in ops["queues"]} == {"crawl": 0, "ingest": 1, "trace": 0}
    assert client.post(f"/api/jobs/{job_id}/requeue").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post(f"/api/jobs/{job_id}/requeue", headers=wrong).status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/api/jobs/no-such-job/requeue", headers=bearer).status_code == 404
    assert client.post(f"/api/jobs/{job_id}/explode", headers=bearer).status_code == 404
    assert client.post(f"/api/jobs/{job_id}/requeue", headers=bearer).json()["queue"] == "ingest"
    after = client.get("/api/ops").json()
    assert after["failed"] == [] and next(q for q in after["queues"] if q["name"] == "ingest")["unattended"]

    # fail it again, then delete it from the command line
    subprocess.run([sys.executable, "-m", "workers", "-q", "worker", "--burst", "--queues", "ingest"],
                   env=env, capture_output=True, timeout=120, check=True)  # fmt: skip
    listed = json.loads(run_cli("ops", "--json", env=env).stdout)
    assert [j["id"] for j in listed["failed"]] == [job_id]
    deleted = run_cli("ops", "--delete", job_id, env=env)
    assert deleted.returncode == 0 and f"deleted {job_id}" in deleted.stdout
    assert json.loads(run_cli("ops", "--json", env=env).stdout)["failed"] == []
    assert not redis_client.exists(f"rq:job:{job_id}")
