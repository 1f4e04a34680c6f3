"""Issue 17, item 5: the same captures ingested in another order, by two worker processes each
time, give a byte-identical export (cluster ids, representatives, sources and reuse ratios).

Eleven documents, so that no candidate cut of the ingest is reached (each has at most ten others:
EngineConfig.cluster_candidates; no passage fingerprint reaches PassageIndex.max_docs holders).
Past a cut, which pairs are aligned still depends on what was present when each arrived."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import redis

from crawler.capture import DocumentCapture
from dedup.align import Alignment, align
from dedup.corpus import CorpusDoc, generate
from dedup.normalize import normalize
from dedup.records import Extraction
from tests.fault_rig import archive_imports, drain_with_workers, hand_off, service_env
from tests.ingest_rig import IngestRig
from workers.redis_server import ServerInfo

DOCS, SEED = 9, 23
# three dates for all: many equally early witnesses, whose order only the tie rule decides
DAYS = (date(2018, 3, 1), date(2019, 7, 15), date(2019, 7, 15))


def _run(connection: redis.Redis, env: dict[str, str], captures: list[DocumentCapture], out: Path) -> bytes:
    connection.flushall()
    hand_off(connection, captures)
    drain_with_workers(env)
    command = [sys.executable, "-m", "workers", "export", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def test_two_orders_of_two_workers_export_the_same_bytes(redis_server: ServerInfo, tmp_path: Path) -> None:
    docs = [replace(d, published=DAYS[n % len(DAYS)]) for n, d in enumerate(generate(DOCS, SEED))]
    copies = [replace(docs[0], url=docs[0].url.replace(".html", f"-{n}.html")) for n in (1, 2)]
    docs += copies  # exact copies of one: a match key claimed by whichever came first
    home = tmp_path / "home"
    captures = archive_imports(home, docs)
    env = service_env(home, redis_server.tcp_url)
    connection = redis.Redis.from_url(redis_server.tcp_url)
    try:
        first = _run(connection, env, captures, tmp_path / "first.jsonl")
        shuffled = random.Random(5).sample(captures, len(captures))
        second = _run(connection, env, shuffled, tmp_path / "second.jsonl")
    finally:
        connection.close()
    assert first.count(b"\n") >= 3
    assert first == second


def _key(a: Alignment) -> tuple[int, int, int, int, float]:
    return a.a_start, a.a_end, a.b_start, a.b_end, round(a.similarity, 4)


def _asymmetric_pair(corpus: list[CorpusDoc]) -> tuple[CorpusDoc, CorpusDoc]:
    """The first pair whose alignment depends on which side is `a` (found, not named: a change of
    the normalizer or the aligner moves which pairs these are)."""
    norms = [normalize(Extraction(d.doc_id, d.url, d.noisy, extractor="x")) for d in corpus]
    for i, j in itertools.combinations(range(len(corpus)), 2):
        forward = align(norms[i], norms[j])
        backward = align(norms[j], norms[i]) if forward else ()
        if forward and sorted(map(_key, forward)) != sorted(_key(a.swapped()) for a in backward):
            return corpus[i], corpus[j]
    raise AssertionError("no pair of the corpus aligns differently by direction")


def test_a_pair_is_aligned_the_same_way_whichever_came_first(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    one, two = _asymmetric_pair(generate(120, 23))
    stored = []
    for prefix, order in (("ab", (one, two)), ("ba", (two, one))):
        rig = IngestRig(redis_client, tmp_path / prefix, prefix)
        for doc in order:
            rig.put(doc.url, doc.noisy)
        store = rig.ingestor.store
        stored.append({(d, w.url, _key(a)) for d in sorted(rig.urls()) for w, a in store.alignments(d)})
    assert stored[0] == stored[1]
