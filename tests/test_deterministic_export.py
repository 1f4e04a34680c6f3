"""Issue 17, item 5: the same captures ingested in another order, by two worker processes each
time, give a byte-identical export (cluster ids, representatives, sources and reuse ratios).

At a scale where both candidate cuts of the ingest are reached (the test checks that they are):
some passage fingerprint is held by more than `SharingRule.max_docs` documents, and some
document has more than `LinkRule.neighbours` verified neighbours. Which pairs are
aligned at arrival still depends on the order; which of them provenance uses does not
(workers.stores.pair_links: the pair rule evaluated on the final state)."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import redis

from archive.capture import DocumentCapture
from archive.keys import Keys
from dedup.align import Alignment, align
from dedup.normalize import normalize
from dedup.records import Extraction
from synthetic.corpus import CorpusDoc, generate
from tests.engine_stack import new_ingestor, stores
from tests.fault_rig import PREFIX, archive_imports, drain_with_workers, hand_off, service_env
from tests.ingest_rig import IngestRig
from tests.model_oracle import compared
from workers.read.catalog import Catalog
from workers.redis.redis_server import ServerInfo

DOCS, SEED = 150, 23
COPIES = 30  # near copies of one speech: a cluster past the neighbours cut
COPIES_PAST_CAP = 56  # more than SharingRule.max_docs: their shared fingerprints stop counting
MARKS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
# three dates for all: many equally early witnesses, whose order only the tie rule decides
DAYS = (date(2018, 3, 1), date(2019, 7, 15), date(2019, 7, 15))


def _documents() -> list[CorpusDoc]:
    """The corpus, dated with ties, with near copies of one speech and two exact copies."""
    docs = [replace(d, published=DAYS[n % len(DAYS)]) for n, d in enumerate(generate(DOCS, SEED))]
    template = max(docs, key=lambda d: len(d.noisy))
    for n in range(COPIES):
        url = template.url.replace(".html", f"-near-{n}.html")
        docs.append(
            replace(template, url=url, noisy=_marked(template.noisy, n), published=DAYS[n % len(DAYS)])
        )
    copies = [replace(docs[0], url=docs[0].url.replace(".html", f"-{n}.html")) for n in (1, 2)]
    return docs + copies  # exact copies of one: a match key claimed by whichever came first


def _marked(text: str, n: int) -> str:
    """The text with the n-th mark in its middle: a near copy, not an exact one."""
    cut = len(text) // 2
    return text[:cut] + MARKS[n % len(MARKS)] * (1 + n // len(MARKS)) + text[cut:]


def _cuts_reached(connection: redis.Redis, home: Path) -> tuple[bool, bool]:
    """Whether some passage fingerprint is held by too many documents to count, and whether some
    document has more verified neighbours than the ingest aligns it with at arrival."""
    ingestor = new_ingestor(connection, Keys(PREFIX), home / "warc")
    docs = [d for d in ingestor.store.get_many(ingestor.store.document_ids()) if d]
    saturated = any(None in ingestor.passages.holders(d.norm().key) for d in docs)
    cluster_ids = {d.cluster_id for d in docs if d.cluster_id}
    degrees = [len(m.edges) for c in cluster_ids for m in ingestor.clusters.members(c)]
    return saturated, max(degrees) > ingestor.store.links.rule.neighbours


def _run(connection: redis.Redis, env: dict[str, str], captures: list[DocumentCapture], out: Path) -> bytes:
    connection.flushall()
    hand_off(connection, captures)
    drain_with_workers(env)
    command = [sys.executable, "-m", "workers", "export", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def test_two_orders_of_two_workers_export_the_same_bytes(redis_server: ServerInfo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    captures = archive_imports(home, _documents())
    env = service_env(home, redis_server.tcp_url)
    connection = redis.Redis.from_url(redis_server.tcp_url)
    try:
        first = _run(connection, env, captures, tmp_path / "first.jsonl")
        assert _cuts_reached(connection, home) == (True, True)
        shuffled = random.Random(5).sample(captures, len(captures))
        second = _run(connection, env, shuffled, tmp_path / "second.jsonl")
    finally:
        connection.close()
    assert first.count(b"\n") >= 60
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


def _evidence(rig: IngestRig) -> dict[str, list[tuple[str, tuple[int, int, int, int, float]]]]:
    """The alignments provenance uses, by URL: the other side's URL and the alignment."""
    store, urls = rig.ingestor.store, rig.urls()
    return {urls[d]: sorted((urls[w.doc_id], _key(a)) for w, a in store.alignments(d)) for d in urls}


def _traces(rig: IngestRig) -> dict[str, list[tuple[int, int, str, int, int]]]:
    """Every document's traced spans with their sources, by URL."""
    store, urls = rig.ingestor.store, rig.urls()
    catalog = Catalog(stores(rig.connection, rig.keys, warc_dir=rig.warc))
    found = {}
    for doc in store.get_many(sorted(urls)):
        if doc is not None:
            spans = catalog.trace(doc).spans
            found[doc.url] = [
                (s.start, s.end, urls[s.source.witness.doc_id], s.source.start, s.source.end) for s in spans
            ]
    return found


def test_a_deletion_past_the_cuts_leaves_what_a_fresh_ingest_of_the_rest_gives(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """More near copies of one speech than a fingerprint may have holders (so only the neighbour
    rule links them): deleting the earliest ones gives the others new earliest neighbours, which
    must be aligned as a fresh ingest of the rest aligns them; `reindex` rebuilds the same."""
    speech = max(generate(40, SEED), key=lambda d: len(d.noisy)).noisy
    copies = {
        f"https://copies.example.com/{n}.html": (_marked(speech, n), date(2015, 1, 1) + timedelta(days=n))
        for n in range(COPIES_PAST_CAP)
    }
    gone = [f"https://copies.example.com/{n}.html" for n in (0, 1, 2)]  # the earliest three
    urls = random.Random(3).sample(sorted(copies), len(copies))
    changed = IngestRig(redis_client, tmp_path / "changed", "changed")
    for url in urls:
        changed.put(url, *copies[url])
    for url in gone:
        assert changed.delete(url)
    fresh = IngestRig(redis_client, tmp_path / "fresh", "fresh")
    for url in reversed(urls):
        if url not in gone:
            fresh.put(url, *copies[url])
    exported = [[compared(r) for r in rig.export()] for rig in (changed, fresh)]  # pending ones aligned first
    assert _evidence(changed) == _evidence(fresh)
    assert _traces(changed) == _traces(fresh)
    assert exported[0] == exported[1]
    changed.reindex()
    assert [compared(r) for r in changed.export()] == exported[1]
    assert _evidence(changed) == _evidence(fresh)
