"""`dedupcrawl clusters` and `dedupcrawl show`, JSON and Rich tables, against the real ingest path."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from typer.testing import CliRunner

from dedup.corpus import generate
from tests.cli_process import clean_env
from tests.web_data import KEYS, corpus_lines, import_lines
from workers.cli import app
from workers.ingest import Ingestor
from workers.ports import free_port


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_clusters_and_show(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    import_lines(redis_client, tmp_path / "warc", corpus_lines(generate(24, seed=6)), "one")
    clusters = Ingestor(redis_client, KEYS, tmp_path / "warc").clusters
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path),
                    COLUMNS="80")

    code, out = _invoke(env, "clusters", "--json")
    listed = json.loads(out)
    assert code == 0 and listed and all(c["size"] >= 2 for c in listed)
    assert [c["id"] for c in listed] == [cid for cid, size in clusters.largest(1000) if size >= 2]
    for c in listed:
        assert c["size"] == len(c["members"]) and c["members"][0]["id"] == c["representative"]
        assert set(c["members"][0]) == {"id", "url", "title", "published", "jaccard", "containment"}
        assert all(0 <= m["jaccard"] <= 1 for m in c["members"])
    code, out = _invoke(env, "clusters", "--min-size", "1", "--json")
    assert sum(c["size"] for c in json.loads(out)) == redis_client.zcard(KEYS.docs)

    biggest = listed[0]
    code, out = _invoke(env, "show", biggest["id"], "--json")
    shown = json.loads(out)
    assert shown["kind"] == "cluster" and shown["members"] == biggest["members"] and "template" in shown
    member = biggest["members"][1]
    code, out = _invoke(env, "show", member["url"], "--json")
    doc = json.loads(out)
    assert doc["kind"] == "document" and doc["id"] == member["id"] and doc["cluster_id"] == biggest["id"]

    code, out = _invoke(env, "clusters")
    assert code == 0 and biggest["id"] in out
    assert all(len(line) <= 80 for line in out.splitlines())
    code, out = _invoke(env, "show", member["id"])
    assert code == 0 and member["id"] in out
    code, _ = _invoke(env, "show", "no-such-thing")
    assert code != 0


def test_serve_answers_until_stopped(redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path))
    server = subprocess.Popen([sys.executable, "-m", "workers", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = _poll(f"http://127.0.0.1:{port}/healthz", deadline=time.monotonic() + 30)
        assert json.loads(body) == {"ok": True}
        page = _poll(f"http://127.0.0.1:{port}/", deadline=time.monotonic() + 5)
        assert b"Read-only" in page  # no DEDUPCRAWL_TOKEN in this environment
    finally:
        server.terminate()
        server.wait(10)


def _poll(url: str, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
