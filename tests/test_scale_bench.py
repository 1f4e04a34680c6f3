"""bench/scale.py on a tiny size: its JSON has the issue's keys, with figures that make sense
(no timing is judged, only that it was measured), on one Redis and on a 3-master cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_scale_reports_bytes_and_add_cost_by_size() -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "scale.py"),
        "--sizes",
        "300",
        "--workers",
        "1",
        "--worker-docs",
        "20",
        "--cluster-sizes",
        "300",
        "--by-script",
        "--json",
    ]
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["sizes"] == [300]
    for name in ("redis_bytes_per_doc", "add_us_per_doc", "archive_text_bytes_per_doc"):
        assert set(figures[name]) == {"300"} and figures[name]["300"] > 0
    # a record, its index entries and pointers: some KB, less than a megabyte; the texts archived
    assert 2_000 < figures["redis_bytes_per_doc"]["300"] < 1_000_000
    assert figures["archive_text_bytes_per_doc"]["300"] > 1_000
    assert figures["passage_hashtable_share"]["300"] == 0  # popular fingerprints keep shards compact
    families = figures["families_at"]["bytes_per_doc"]
    assert all(any(name.startswith(kind) for name in families) for kind in ("doc", "pass", "lsh", "cluster"))
    assert sum(families.values()) <= figures["redis_bytes_per_doc"]["300"] * 1.1
    assert figures["archive_bytes_per_doc"] > 0
    assert set(figures["workers_docs_per_s"]) == {"1"} and figures["workers_docs_per_s"]["1"] > 0
    profile = figures["by_script"]["300"]  # a slice more, timed by script and by round trip
    scripts = {"passage_add.lua", "lsh_add.lua", "cluster_merge.lua", "document_save.lua"}
    assert scripts <= set(profile["server_us"])
    assert "?" not in profile["server_us"] and min(profile["server_us"].values()) > 0
    assert set(profile["client_cpu_us"]) == {"save", "index", "cluster", "align"}
    cluster = figures["cluster"]  # the same fill on a local 3-master Redis Cluster
    assert cluster["sizes"] == [300] and cluster["redis_bytes_per_doc"]["300"] > 2_000
    assert cluster["archive_text_bytes_per_doc"]["300"] > 1_000 and len(cluster["bytes_by_master"]) == 3
