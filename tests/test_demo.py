"""`dedupcrawl demo` — the README's main command — on the embedded default, from nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_process import clean_env, run_cli
from workers.embedded_redis import EmbeddedRedis


@pytest.mark.slow
def test_demo_crawls_clusters_and_traces_on_the_embedded_default(tmp_path: Path) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path))
    try:
        result = run_cli("demo", "--docs", "30", "--json", env=env, timeout=400)
    finally:
        leftover = EmbeddedRedis(tmp_path / "redis").stop()
    assert result.returncode == 0, result.stderr[-3000:]
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
    assert (tmp_path / "redis" / "appendonly.aof").exists() or any((tmp_path / "redis").glob("appendonly*"))
