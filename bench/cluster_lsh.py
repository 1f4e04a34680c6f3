"""The LSH index on one Redis against a 3-master Redis Cluster, by number of tag groups.

The same fingerprints (bench/index.py's, of synthetic.corpus speeches) are added one document
at a time, each add sent once the previous one's reply is read, into:
  single      a redis-server started here (its TCP port), the index in one group (the default)
  cluster_gG  a local 3-master 3-replica cluster (workers.redis.local_cluster) through the slot
              router, the index's bands split into G tag groups (archive.keys `{P:lsh:g}`);
              G = 1 puts the whole index on one master
Figures per run: us_per_add (wall), client_us_per_add (this process's CPU), bytes_per_doc (growth
of used_memory, summed over the masters), busiest_master_share (of that growth, on the master
holding most: 1/3 would be an even spread) and *_over_single (each against the single Redis of
the same run).

    python bench/cluster_lsh.py [--quick] [--json]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from archive.keys import Keys  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from bench.index import fingerprints, used_memory  # noqa: E402
from dedup.fingerprint import Fingerprint  # noqa: E402
from tests.engine_stack import lsh_index  # noqa: E402
from workers.redis.direct_connection import RedisClient  # noqa: E402
from workers.redis.local_cluster import LocalCluster  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402

GROUPS = (1, 3, 6, 12)
DOCS, QUICK_DOCS = 10_000, 2_000


def filled(
    client: RedisClient, masters: list[redis.Redis], fps: list[Fingerprint], groups: int
) -> dict[str, float]:
    """Add every fingerprint to a fresh index of `groups` tag groups; what it cost."""
    index = lsh_index(client, Keys(f"g{groups}"), fps[0].fingerprint_id, groups=groups)
    before = [used_memory(m) for m in masters]
    wall, cpu = time.perf_counter(), time.process_time()
    for fp in fps:
        index.add(fp)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    grown = [used_memory(m) - b for m, b in zip(masters, before, strict=True)]
    return {
        "us_per_add": round(wall / len(fps) * 1e6, 1),
        "client_us_per_add": round(cpu / len(fps) * 1e6, 1),
        "bytes_per_doc": round(sum(grown) / len(fps)),
        "busiest_master_share": round(max(grown) / max(sum(grown), 1), 3),
    }


def measure(quick: bool) -> dict[str, Any]:
    fps = fingerprints(QUICK_DOCS if quick else DOCS)
    figures: dict[str, Any] = {"docs": len(fps)}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-lsh-") as tmp:
        server = RedisServer(Path(tmp) / "single").start()
        try:
            single = redis.Redis.from_url(server.tcp_url)
            figures["single"] = filled(single, [single], fps, 1)
        finally:
            stop_process(server.pid)
        with LocalCluster(Path(tmp) / "cluster") as cluster:
            masters = [redis.Redis(port=node.port) for node in cluster.masters()]
            for groups in GROUPS:
                figures[f"cluster_g{groups}"] = filled(cluster.client(), masters, fps, groups)
    base = figures["single"]
    for groups in GROUPS:
        run = figures[f"cluster_g{groups}"]
        for name in ("us_per_add", "client_us_per_add", "bytes_per_doc"):
            run[f"{name}_over_single"] = round(run[name] / base[name], 2)
    return figures


def main() -> None:
    args = parser(__doc__, f"{QUICK_DOCS:,} documents instead of {DOCS:,}").parse_args()
    report(measure(args.quick), args.json)


if __name__ == "__main__":
    main()
