"""Progress with totals and a summary at the end: `import` (the total is known before it starts)
and `worker --burst` (the jobs waiting when it started)."""

from __future__ import annotations

import re
from pathlib import Path

import redis
from rq import Queue

from synthetic.corpus import generate
from tests.cli_process import clean_env, run_cli
from tests.web_data import KEYS, corpus_lines


def test_import_counts_against_its_total(redis_url: str, tmp_path: Path) -> None:
    lines = corpus_lines(generate(5, seed=4))
    source = tmp_path / "five.jsonl"
    source.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # a blank line is not an input
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(tmp_path), DEDUPCRAWL_KEY_PREFIX=KEYS.prefix)
    done = run_cli("import", str(source), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"import .* 5/5 ", done.stderr), done.stderr
    quiet = run_cli("-q", "import", str(source), env=env)
    assert quiet.returncode == 0 and "5/5" not in quiet.stderr


def test_burst_worker_prints_a_summary(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    ingest = Queue("ingest", connection=redis_client)
    for n in range(3):
        ingest.enqueue("workers.no_such_module.ingest", f"doc-{n}")
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(tmp_path), DEDUPCRAWL_KEY_PREFIX=KEYS.prefix)
    done = run_cli("worker", "--burst", "--queues", "ingest", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "worker --burst: 3 jobs done, 3 failed, 0 left; documents: none" in done.stderr, done.stderr
    assert "3/3" in done.stderr
