"""The ingest pipeline end to end on a real redis-server: import, idempotent re-runs, reindex."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import redis

from archive.capture import DocumentCapture
from archive.keys import Keys, url_hash
from archive.warc import WarcArchive, iter_documents
from dedup.clusters import pairwise_scores
from dedup.reasons import IngestStatus
from dedup.records import NormalizedText, Rejection
from synthetic.corpus import CorpusDoc, generate
from tests.engine_stack import new_ingestor, stores
from tests.store_dump import dump
from workers.flow.imports import Importer
from workers.flow.ingest import document_id
from workers.stores import derived_state
from workers.stores.pair_links import pair_weights

KEYS = Keys("t")


@pytest.fixture(scope="module")
def corpus() -> list[CorpusDoc]:
    return generate(60, seed=11)


def _jsonl(tmp_path: Path, docs: list[CorpusDoc], extra: tuple[str, ...] = ()) -> Path:
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"url": d.url, "text": d.noisy, "title": d.title, "published": d.published.isoformat()})
        for d in docs
    ]
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def _import(connection: redis.Redis, warc_dir: Path, path: Path) -> list[str]:
    ingestor = new_ingestor(connection, KEYS, warc_dir)
    archive = WarcArchive(warc_dir, "import")
    statuses = []
    for item in Importer(archive).jsonl(path):
        if isinstance(item, Rejection):
            ingestor.store.reject(item)
            statuses.append(IngestStatus.REJECTED)
        else:
            statuses.append(ingestor.ingest_capture(item).status)
    archive.close()
    return statuses


def test_import_clusters_like_the_ground_truth(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    statuses = _import(redis_client, tmp_path / "warc", _jsonl(tmp_path, corpus))
    assert statuses.count(IngestStatus.INDEXED) == len(corpus)
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    stored = dump(ingestor.store, ingestor.clusters)
    predicted = {url: min(entry["cluster"]) for url, entry in stored.items()}
    truth = {d.url: d.family for d in corpus}
    precision, recall = pairwise_scores(predicted, truth)
    assert precision >= 0.98 and recall >= 0.95, (precision, recall)
    assert all(entry["state"] == "indexed" for entry in stored.values())


def test_bad_lines_are_rejected_with_reasons_and_the_rest_goes_through(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    bad = ('{"url": "ftp://x/y", "text": "abc"}', "{not json", '{"url": "https://a.example/x"}', '["a"]')
    statuses = _import(redis_client, tmp_path / "warc", _jsonl(tmp_path, corpus[:5], bad))
    assert statuses.count(IngestStatus.INDEXED) == 5 and statuses.count(IngestStatus.REJECTED) == 4
    reasons = sorted(r.reason for r in new_ingestor(redis_client, KEYS, tmp_path).store.rejections())
    assert reasons == ["bad_json", "bad_record", "bad_url", "no_content"]


def test_rerunning_every_ingest_changes_nothing(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    warc = tmp_path / "warc"
    _import(redis_client, warc, _jsonl(tmp_path, corpus[:30]))
    ingestor = new_ingestor(redis_client, KEYS, warc)
    before = dump(ingestor.store, ingestor.clusters)
    outcomes = [ingestor.ingest_capture(capture).status for capture in iter_documents(warc)]
    assert set(outcomes) == {IngestStatus.UNCHANGED}
    assert dump(ingestor.store, ingestor.clusters) == before


def test_jobs_of_documents_store_what_one_by_one_ingests_store(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job prepares each document while Redis indexes the one before; a document whose
    preparation raises is that document's error, not its predecessor's."""
    warc = tmp_path / "warc"
    _import(redis_client, warc, _jsonl(tmp_path, corpus[:30]))
    opened = stores(redis_client, KEYS, warc_dir=warc)
    one_by_one = dump(opened.documents, opened.clusters)
    redis_client.flushall()
    ingestor, captures = new_ingestor(redis_client, KEYS, warc), list(iter_documents(warc))
    results = [r for lo in range(0, 30, 16) for r in ingestor.ingest_many(captures[lo : lo + 16])]
    assert {getattr(r, "status", r) for r in results} == {IngestStatus.INDEXED}
    assert dump(ingestor.store, ingestor.clusters) == one_by_one
    assert ingestor.store.stats("outcome") == {IngestStatus.INDEXED: 30}  # each job counts its documents
    assert ingestor.store.stats("stage_runs")["align"] == 30
    redis_client.flushall()
    prepare = ingestor.prepare
    monkeypatch.setattr(ingestor, "prepare", lambda c: prepare(c) if c != captures[6] else 1 / 0)
    results = ingestor.ingest_many(captures[:16])
    assert [i for i, r in enumerate(results) if isinstance(r, ZeroDivisionError)] == [6]
    assert {r.status for r in results if not isinstance(r, Exception)} == {IngestStatus.INDEXED}


def test_an_import_writes_its_counters_in_batches_and_loses_none(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    """One counters call per 10 documents inside `counted_in_batches`, the rest on the way out
    (also when a document raises); outside it, one a document as before."""
    warc = tmp_path / "warc"
    _import(redis_client, warc, _jsonl(tmp_path, corpus[:25]))
    captures = list(iter_documents(warc))
    redis_client.flushall()
    ingestor = new_ingestor(redis_client, KEYS, warc)
    with pytest.raises(KeyboardInterrupt), ingestor.counted_in_batches(every=10):
        for at, capture in enumerate(captures[:24]):
            ingestor.ingest_capture(capture)
            assert ingestor.store.stats("outcome").get(IngestStatus.INDEXED, 0) == (at + 1) // 10 * 10
        raise KeyboardInterrupt  # an import stopped by the user
    assert ingestor.store.stats("outcome") == {IngestStatus.INDEXED: 24}
    assert ingestor.store.stats("stage_runs")["align"] == 24
    ingestor.ingest_capture(captures[24])
    assert ingestor.store.stats("outcome") == {IngestStatus.INDEXED: 25}


def test_a_worker_reads_back_no_text_it_ingested_itself(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    warc = tmp_path / "warc"
    _import(redis_client, warc, _jsonl(tmp_path, corpus[:30]))
    opened = stores(redis_client, KEYS, warc_dir=warc)
    before = dump(opened.documents, opened.clusters)
    redis_client.flushall()
    ingestor, read = new_ingestor(redis_client, KEYS, warc), []
    norms = ingestor.store.norms

    def reading(doc_ids: list[str]) -> dict[str, tuple[str, NormalizedText]]:
        read.extend(doc_ids)
        return norms(doc_ids)

    monkeypatch.setattr(ingestor.store, "norms", reading)
    for capture in iter_documents(warc):
        ingestor.ingest_capture(capture)
    assert read == []  # every candidate came from this worker's cache
    assert dump(ingestor.store, ingestor.clusters) == before  # as when candidates were read back


def test_reindex_after_flushall_reproduces_clusters_and_alignments(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    warc = tmp_path / "warc"
    _import(redis_client, warc, _jsonl(tmp_path, corpus[:40]))
    ingestor = new_ingestor(redis_client, KEYS, warc)
    before = dump(ingestor.store, ingestor.clusters)
    redis_client.flushall()
    rebuilt = new_ingestor(redis_client, KEYS, warc)
    for capture in iter_documents(warc):
        rebuilt.ingest_capture(capture)
    assert dump(rebuilt.store, rebuilt.clusters) == before


def test_urls_alignment_pointers_and_pair_weights_are_fields_of_compact_buckets(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    """A key a document (its URL's, its alignment pointers', its pair weights') costs ~70-120
    bytes besides what it holds (issue 21): each family is 4,096 hashes, a document a field, in
    the compact encoding (workers.stores.key_buckets). A URL still finds its document, and a
    deletion leaves neither its URL nor it in any other document's alignments or weights."""
    _import(redis_client, tmp_path / "warc", _jsonl(tmp_path, corpus))
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    store, docs = ingestor.store, ingestor.store.document_ids()
    urls = _buckets(redis_client, f"{KEYS.state}:url")
    aligned = _buckets(redis_client, f"{KEYS.state}:aln:")
    weighted = _buckets(redis_client, f"{KEYS.state}:links:align-3:w")
    assert sum(urls.values()) == len(docs)  # (every document fetched at its own URL)
    for family in (aligned, weighted):  # documents with alignments, weights: a field each, none a key
        assert {field.decode() for key in family for field in redis_client.hkeys(key)} <= set(docs)
        assert len(family) > len(docs) // 2
    victim = next(d for d in docs if store.alignments(d))
    others = {w.doc_id for w, _ in store.alignments(victim)}
    doc = store.get(victim)
    assert doc is not None and store.find(doc.url) == doc
    assert any(pair_weights(redis_client, store.links.weights, victim))
    store.delete(victim)
    store.links.remove(doc.witness)
    assert store.find(doc.url) is None and _buckets(redis_client, f"{KEYS.state}:url")
    assert others and all(w.doc_id != victim for other in others for w, _ in store.alignments(other))
    assert not any(victim in pair_weights(redis_client, store.links.weights, d) for d in docs)


def test_old_layout_urls_and_alignments_are_not_read_and_a_rebuild_clears_them(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    """A key a document before the buckets: its layout has another name, so it is never
    half-read; `reindex` clears it (workers.stores.derived_state) before it rebuilds."""
    _import(redis_client, tmp_path / "warc", _jsonl(tmp_path, corpus[:2]))
    store = new_ingestor(redis_client, KEYS, tmp_path / "warc").store
    doc_id, other = store.document_ids()
    before = store.alignments(doc_id)
    old_url = f"{KEYS.state}:url:{url_hash('https://a.example/x')}"
    old_aln = f"{KEYS.state}:aln:align-3:{doc_id}"
    redis_client.set(old_url, doc_id)
    redis_client.hset(old_aln, other, "[[0, 10, 0, 10, 1.0]]")  # (JSON rows, as before the pointers)
    assert store.find("https://a.example/x") is None and store.alignments(doc_id) == before
    assert derived_state.clear(redis_client, "t") and not redis_client.exists(old_url, old_aln)


def _buckets(client: redis.Redis, start: str) -> dict[str, int]:
    """The keys named `start`...: each a bucket (`-b2:` + 3 hex digits), compact: its fields."""
    keys = [k.decode() for k in client.scan_iter(match=f"{start}*", count=1000)]
    assert keys and all(re.fullmatch(r".*-b2:[0-9a-f]{3}", key) for key in keys), keys[:3]
    assert {client.object("encoding", key) for key in keys} <= {b"ziplist", b"listpack"}
    return {key: int(client.hlen(key)) for key in keys}


def test_clear_keeps_crawl_history(redis_client: redis.Redis) -> None:
    redis_client.set(KEYS.doc("x"), "1")
    redis_client.set("t:doc:y", "1")  # a store built before the hash tags
    redis_client.set(KEYS.crawl("run"), "1")
    redis_client.set(KEYS.seen("https://a.example/"), "1")
    redis_client.set(KEYS.deleted, "1")
    assert derived_state.clear(redis_client, "t") == 2
    assert redis_client.exists(KEYS.crawl("run"), KEYS.seen("https://a.example/"), KEYS.deleted) == 3


def test_reindex_carries_deletions_from_older_layouts(
    redis_client: redis.Redis, cluster_client: redis.RedisCluster
) -> None:
    """Kept as `t:deleted` before the hash tags, or on the queues' Redis before the index moved
    to a cluster: carried into the index's, the latest time winning (a rebuild leaves them out)."""
    redis_client.hset(KEYS.legacy_deleted, mapping={"a": "7", "b": "5"})
    assert derived_state.carry_deletions(redis_client, redis_client, KEYS) == 2
    assert redis_client.hgetall(KEYS.deleted) == {b"a": b"7.000000", b"b": b"5.000000"}
    redis_client.hset(KEYS.deleted, "c", "3")
    cluster_client.hset(KEYS.deleted, mapping={"a": "9", "b": "1"})
    assert derived_state.carry_deletions(redis_client, cluster_client, KEYS) == 2
    assert cluster_client.hgetall(KEYS.deleted) == {b"a": b"9", b"b": b"5.000000", b"c": b"3.000000"}
    assert derived_state.carry_deletions(redis_client, cluster_client, KEYS) == 0


def _two_templates(corpus: list[CorpusDoc]) -> tuple[CorpusDoc, CorpusDoc]:
    x = next(d for d in corpus if d.role == "template")
    return x, next(d for d in corpus if d.role == "template" and d.family != x.family)


def _archived(archive: WarcArchive, path: Path, record: dict[str, str]) -> list[DocumentCapture]:
    """One JSON Lines record imported into `archive`; none is rejected."""
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    items = list(Importer(archive).jsonl(path))
    assert items and not any(isinstance(item, Rejection) for item in items)
    return [item for item in items if isinstance(item, DocumentCapture)]


def test_a_cached_candidate_is_read_again_once_its_page_changed(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    x, y = _two_templates(corpus)
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    archive = WarcArchive(tmp_path / "warc", "import")
    steps = [(x.url, x), (x.url + "?copy", x), (x.url, y), (y.url + "?copy", y)]
    for step, (url, doc) in enumerate(steps):
        record = {"url": url, "text": doc.noisy, "published": f"2020-01-0{step + 1}"}
        for capture in _archived(archive, tmp_path / f"{step}.jsonl", record):
            assert ingestor.ingest_capture(capture).status == IngestStatus.INDEXED
    archive.close()
    assert len(ingestor.candidate_cache) >= 1  # x's first text was cached for its copy
    copy = ingestor.store.find(y.url + "?copy")
    assert copy is not None
    reused = [al for witness, al in ingestor.store.alignments(copy.doc_id) if witness.url == x.url]
    covered = sum(al.a_end - al.a_start for al in reused)
    assert covered >= 0.9 * len(copy.display)  # aligned with the page's new text, y


def test_a_page_whose_record_went_without_its_index_entries_is_indexed_again(
    redis_client: redis.Redis, tmp_path: Path, corpus: list[CorpusDoc]
) -> None:
    """A forget cut short (the record deleted, the index entries not) leaves no stale match key."""
    x, y = _two_templates(corpus)
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    archive = WarcArchive(tmp_path / "warc", "import")
    outcomes = []
    for step, (url, doc) in enumerate([(x.url, x), (x.url, y), (x.url + "?copy", x)]):
        if step == 1:
            ingestor.store.delete(document_id(x.url))
        captures = _archived(archive, tmp_path / f"{step}.jsonl", {"url": url, "text": doc.noisy})
        outcomes += [ingestor.ingest_capture(c) for c in captures]
    archive.close()
    assert [o.status for o in outcomes] == [IngestStatus.INDEXED] * 3
    assert outcomes[2].cluster_id != outcomes[1].cluster_id  # x's copy is no duplicate of the page now
    assert ingestor.clusters.cluster_of(document_id(x.url)) == outcomes[1].cluster_id
