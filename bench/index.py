"""LSH index in Redis: add (insert+query) speed and memory per document, vs datasketch.

Both run against the same real redis-server started here, with the same signatures (from our
fingerprints of synthetic.corpus speeches, plain match key) and the same bands (42x3), through its
Unix socket, as the embedded default's workers reach it. Ours: one Lua script per add (insert,
then query, then fetch candidates' compact signatures), each add sent once the previous one's
reply is read. datasketch: MinHashLSH with Redis storage, `insert` then `query` per document.
by_transport   ours building 10k (2k quick) over the Unix socket, then over loopback TCP (a
               REDIS_URL server's way), alternated twice, the better of each
Figures per corpus size:
bytes_per_doc  Redis used_memory growth / documents (everything the index keeps, no text), read
               once no AOF rewrite runs
ms_per_doc     median add time of 1,000 fresh documents added alternately to an index of each
               size (flatness; alternating and the median keep other processes' load out),
               from when no AOF rewrite runs (its fork's copy-on-write faults cost the writes
               to a larger index more: once 0.371 against 0.301 ms). The build, timed for
               ours_docs_per_s, pays for its rewrites, as a service does
candidates_per_probe  mean candidates those adds returned, by size: each costs the script a
               record read (and the client its parsing), so a larger index of the same
               families costs more
ms_per_doc_no_candidates  median add time of those adds that found no candidate, by size: the
               index size's own effect, apart from the larger families of a larger corpus
us_per_candidate  (median time of adds with candidates - median time of adds without) /
               median candidates of adds with candidates, by size
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

from archive.keys import Keys  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from bench.minhash import key_of  # noqa: E402
from dedup.errors import Rejected  # noqa: E402
from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint  # noqa: E402
from dedup.lsh import LSHParams  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from tests.engine_stack import lsh_index  # noqa: E402
from workers.redis.redis_server import RedisServer, ServerInfo, stop_process  # noqa: E402

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
    """Once no AOF rewrite runs: a rewrite's buffer counts in used_memory, and the copy-on-write
    faults of its fork slow the writes to a large index more than those to a small one."""
    while True:
        persistence = connection.info("persistence")
        if not (persistence["aof_rewrite_in_progress"] or persistence["aof_rewrite_scheduled"]):
            return int(connection.info("memory")["used_memory"])
        time.sleep(0.1)


def ours(
    connection: redis.Redis, fps: list[Fingerprint], sizes: list[int], probes: list[Fingerprint]
) -> dict[str, Any]:
    """One index per size (built in turn, memory measured as each grows), then the per-add
    cost of fresh documents added alternately to every index, so load from other processes on
    a shared machine falls on all sizes alike."""
    connection.flushall()
    indexes, bytes_per_doc, candidates, elapsed = {}, {}, 0, 0.0
    for size in sizes:
        before = used_memory(connection)
        index = lsh_index(connection, Keys(f"bench{size}"), fps[0].fingerprint_id)
        start = time.perf_counter()
        for fp in fps[:size]:
            candidates += len(index.add(fp))
        elapsed += time.perf_counter() - start
        bytes_per_doc[str(size)] = round((used_memory(connection) - before) / size)
        indexes[size] = index
    times: dict[int, list[tuple[float, int]]] = {size: [] for size in sizes}
    for fp in probes:
        for size, index in indexes.items():
            began = time.perf_counter()
            found = len(index.add(fp))
            times[size].append((time.perf_counter() - began, found))
    runs = times.items()
    return {
        "docs_per_s": round(sum(sizes) / elapsed, 1),
        "batch_docs_per_s": batched(connection, fps[: min(len(fps), 10_000)]),
        "bytes_per_doc": bytes_per_doc,
        "ms_per_doc": {str(s): round(statistics.median(t for t, _ in ts) * 1e3, 3) for s, ts in runs},
        "candidates_per_doc": round(candidates / sum(sizes), 2),
        "candidates_per_probe": {str(s): round(statistics.mean(c for _, c in ts), 2) for s, ts in runs},
        **by_candidates(times),
    }


def by_candidates(times: dict[int, list[tuple[float, int]]]) -> dict[str, dict[str, float | None]]:
    """Add times split by whether the add found candidates (see the module docstring)."""
    alone: dict[str, float | None] = {}
    each: dict[str, float | None] = {}
    for size, ts in times.items():
        none = [t for t, c in ts if c == 0]
        some = [(t, c) for t, c in ts if c > 0]
        base = statistics.median(none) if none else None
        alone[str(size)] = round(base * 1000, 3) if base is not None else None
        if base is None or not some:
            each[str(size)] = None
            continue
        extra = statistics.median(t for t, _ in some) - base
        each[str(size)] = round(extra / statistics.median(c for _, c in some) * 1e6, 1)
    return {"ms_per_doc_no_candidates": alone, "us_per_candidate": each}


def batched(connection: redis.Redis, fps: list[Fingerprint], size: int = 100) -> float:
    """add_many: a batch of documents inserted, then queried, in one script call."""
    connection.flushall()
    index = lsh_index(connection, Keys("bench"), fps[0].fingerprint_id)
    start = time.perf_counter()
    for lo in range(0, len(fps), size):
        index.add_many(fps[lo : lo + size])
    return round(len(fps) / (time.perf_counter() - start), 1)


def by_transport(server: ServerInfo, fps: list[Fingerprint]) -> dict[str, float]:
    """Docs/s building an index by single adds, per way of reaching the server."""
    best = {"unix": 0.0, "tcp": 0.0}
    urls = {"unix": server.url, "tcp": server.tcp_url}
    for transport in [*best, *best]:
        connection = redis.Redis.from_url(urls[transport])
        connection.flushall()
        index = lsh_index(connection, Keys(transport), fps[0].fingerprint_id)
        start = time.perf_counter()
        for fp in fps:
            index.add(fp)
        best[transport] = max(best[transport], round(len(fps) / (time.perf_counter() - start), 1))
        connection.close()
    return best


def datasketch(server: ServerInfo, connection: redis.Redis, fps: list[Fingerprint]) -> dict[str, Any]:
    connection.flushall()
    base = int(connection.info("memory")["used_memory"])
    params = LSHParams()
    lsh = MinHashLSH(
        num_perm=CONFIG.num_perm,
        params=(params.bands, params.rows),
        storage_config={
            "type": "redis",
            "basename": b"dsbench",
            "redis": {"unix_socket_path": server.socket} if server.socket else {"port": server.port},
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
            transports = by_transport(server, fps[: sizes[0]])
            theirs = datasketch(server, connection, fps[: 500 if quick else 2000])
            connection.close()
        finally:
            stop_process(server.pid)
    return {
        "ours_docs_per_s": mine["docs_per_s"],
        "by_transport": transports,
        "ours_batch_docs_per_s": mine["batch_docs_per_s"],
        "datasketch_redis_docs_per_s": theirs["docs_per_s"],
        "ratio_vs_datasketch": round(mine["docs_per_s"] / theirs["docs_per_s"], 1),
        "bytes_per_doc": mine["bytes_per_doc"],
        "ms_per_doc": mine["ms_per_doc"],
        "datasketch_bytes_per_doc": theirs["bytes_per_doc"],
        "candidates_per_doc": mine["candidates_per_doc"],
        "candidates_per_probe": mine["candidates_per_probe"],
        "ms_per_doc_no_candidates": mine["ms_per_doc_no_candidates"],
        "us_per_candidate": mine["us_per_candidate"],
        "bands": f"{LSHParams().bands}x{LSHParams().rows}",
    }


def main() -> None:
    args_parser = parser(__doc__, "2k and 10k documents")
    args = args_parser.parse_args()
    report(measure(args.quick), args.json)


if __name__ == "__main__":
    main()
