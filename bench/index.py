"""LSH index in Redis: add (insert+query) speed and memory per document, vs datasketch.

Both run against the same real redis-server started here, with the same signatures (from our
fingerprints of dedup.corpus speeches, plain match key) and the same bands (42x3). Ours: one
Lua script per add (insert, then query, then fetch candidates' compact signatures). datasketch:
MinHashLSH with Redis storage, `insert` then `query` per document. Figures per corpus size:
bytes_per_doc  Redis used_memory growth / documents (everything the index keeps, no text)
ms_per_doc     median add time of 1,000 fresh documents added alternately to an index of each
               size (flatness; alternating and the median keep other processes' load out)
candidates_per_probe  mean candidates those adds returned, by size: each costs the script a
               name and a record read, so a larger index of the same families costs more
ours_batch_docs_per_s  add_many with 100 documents per script call (batch ingest, reindex)

    python bench/index.py [--quick] [--json]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

from bench.cli import parser, report  # noqa: E402
from bench.minhash import key_of  # noqa: E402
from dedup.corpus import generate  # noqa: E402
from dedup.errors import Rejected  # noqa: E402
from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint  # noqa: E402
from dedup.lsh import LSHParams  # noqa: E402
from workers.keys import Keys  # noqa: E402
from workers.lsh_index import RedisLSHIndex  # noqa: E402
from workers.redis_server import RedisServer, stop_process  # noqa: E402

CONFIG = FingerprintConfig()
WINDOW = 1000


def fingerprints(count: int) -> list[Fingerprint]:
    out = []
    for doc in generate(count, seed=17):
        try:
            out.append(fingerprint(doc.doc_id, key_of(doc.text), "bench", CONFIG))
        except Rejected:
            continue
    return out


def used_memory(connection: redis.Redis) -> int:
    return int(connection.info("memory")["used_memory"])


def ours(
    connection: redis.Redis, fps: list[Fingerprint], sizes: list[int], probes: list[Fingerprint]
) -> dict[str, Any]:
    """One index per size (built in turn, memory measured as each grows), then the per-add
    cost of fresh documents added alternately to every index, so load from other processes on
    a shared machine falls on all sizes alike."""
    connection.flushall()
    indexes, bytes_per_doc, candidates = {}, {}, 0
    start = time.perf_counter()
    for size in sizes:
        before = used_memory(connection)
        index = RedisLSHIndex(connection, Keys(f"bench{size}"), fps[0].fingerprint_id)
        for fp in fps[:size]:
            candidates += len(index.add(fp))
        bytes_per_doc[str(size)] = round((used_memory(connection) - before) / size)
        indexes[size] = index
    elapsed = time.perf_counter() - start
    times: dict[int, list[float]] = {size: [] for size in sizes}
    found = dict.fromkeys(sizes, 0)
    for fp in probes:
        for size, index in indexes.items():
            began = time.perf_counter()
            found[size] += len(index.add(fp))
            times[size].append(time.perf_counter() - began)
    return {
        "docs_per_s": round(sum(sizes) / elapsed, 1),
        "batch_docs_per_s": batched(connection, fps[: min(len(fps), 10_000)]),
        "bytes_per_doc": bytes_per_doc,
        "ms_per_doc": {str(s): round(statistics.median(t) * 1000, 3) for s, t in times.items()},
        "candidates_per_doc": round(candidates / sum(sizes), 2),
        "candidates_per_probe": {str(s): round(found[s] / len(probes), 2) for s in sizes},
    }


def batched(connection: redis.Redis, fps: list[Fingerprint], size: int = 100) -> float:
    """add_many: a batch of documents inserted, then queried, in one script call."""
    connection.flushall()
    index = RedisLSHIndex(connection, Keys("bench"), fps[0].fingerprint_id)
    start = time.perf_counter()
    for lo in range(0, len(fps), size):
        index.add_many(fps[lo : lo + size])
    return round(len(fps) / (time.perf_counter() - start), 1)


def datasketch(port: int, connection: redis.Redis, fps: list[Fingerprint]) -> dict[str, Any]:
    connection.flushall()
    base = int(connection.info("memory")["used_memory"])
    params = LSHParams()
    lsh = MinHashLSH(
        num_perm=CONFIG.num_perm,
        params=(params.bands, params.rows),
        storage_config={
            "type": "redis",
            "basename": b"dsbench",
            "redis": {"host": "127.0.0.1", "port": port},
        },
    )
    sketches = [
        MinHash(num_perm=CONFIG.num_perm, hashvalues=fp.values().astype("uint64"), scheme="legacy")
        for fp in fps
    ]
    start = time.perf_counter()
    for fp, sketch in zip(fps, sketches, strict=True):
        lsh.insert(fp.doc_id, sketch)
        lsh.query(sketch)
    elapsed = time.perf_counter() - start
    used = int(connection.info("memory")["used_memory"])
    return {"docs_per_s": round(len(fps) / elapsed, 1), "bytes_per_doc": round((used - base) / len(fps))}


def measure(quick: bool) -> dict[str, Any]:
    sizes = [2_000, 10_000] if quick else [10_000, 100_000]
    everything = fingerprints(max(sizes) + WINDOW + 200)
    fps, probes = everything[: max(sizes)], everything[max(sizes) : max(sizes) + WINDOW]
    sizes = [s for s in sizes if s <= len(fps)]
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            connection = redis.Redis.from_url(server.url)
            mine = ours(connection, fps, sizes, probes)
            theirs = datasketch(server.port, connection, fps[: 500 if quick else 2000])
            connection.close()
        finally:
            stop_process(server.pid)
    return {
        "ours_docs_per_s": mine["docs_per_s"],
        "ours_batch_docs_per_s": mine["batch_docs_per_s"],
        "datasketch_redis_docs_per_s": theirs["docs_per_s"],
        "ratio_vs_datasketch": round(mine["docs_per_s"] / theirs["docs_per_s"], 1),
        "bytes_per_doc": mine["bytes_per_doc"],
        "ms_per_doc": mine["ms_per_doc"],
        "datasketch_bytes_per_doc": theirs["bytes_per_doc"],
        "candidates_per_doc": mine["candidates_per_doc"],
        "candidates_per_probe": mine["candidates_per_probe"],
        "bands": f"{LSHParams().bands}x{LSHParams().rows}",
    }


def main() -> None:
    args_parser = parser(__doc__, "2k and 10k documents")
    args = args_parser.parse_args()
    report(measure(args.quick), args.json)


if __name__ == "__main__":
    main()
