"""`dedupcrawl demo` — the README's main command — on the embedded default, from nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_process import clean_env, run_cli
from workers.redis.embedded_redis import EmbeddedRedis


@pytest.mark.slow
def test_demo_crawls_clusters_and_traces_on_the_embedded_default(tmp_path: Path) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path))
    demo_home = tmp_path / "demo"  # the demo's own data directory, emptied at every start
    (tmp_path / "warc").mkdir()  # the operator's own data, which the demo must leave alone
    try:
        result = run_cli("demo", "--docs", "30", "--json", env=env, timeout=400)
        again = run_cli("demo", "--docs", "30", "--json", env=env, timeout=400)
    finally:
        leftover = EmbeddedRedis(demo_home / "redis").stop()
    assert result.returncode == 0 and again.returncode == 0, result.stderr[-3000:] + again.stderr[-3000:]
    # the same command twice prints the same counts: the demo starts from an emptied data directory
    assert _counts(json.loads(again.stdout)) == _counts(json.loads(result.stdout))
    assert leftover is None  # the demo's redis-server went away with it
    summary = json.loads(result.stdout)
    assert [c["status"] for c in summary["crawls"]] == ["succeeded"] * 3
    handed_off = sum(c["handed_off"] for c in summary["crawls"])
    assert summary["documents"] + sum(summary["rejections"].values()) == handed_off >= 25
    assert summary["clusters"] >= 2
    family = summary["largest_family"]
    assert family["size"] == len(family["members"]) >= 2
    traced = summary["traced"]
    assert traced["spans"] and all(span["source"].startswith("http://127.0.0.1:") for span in traced["spans"])
    redis_dir = demo_home / "redis"
    assert (redis_dir / "appendonly.aof").exists() or any(redis_dir.glob("appendonly*"))
    assert not list((tmp_path / "warc").iterdir())


def _counts(summary: dict[str, Any]) -> dict[str, Any]:
    crawls = [(c["site"], c["status"], c["pages"], c["handed_off"]) for c in summary["crawls"]]
    family = summary["largest_family"] or {}
    return {"crawls": crawls, "documents": summary["documents"], "clusters": summary["clusters"],
            "rejections": summary["rejections"], "largest": family.get("size")}
