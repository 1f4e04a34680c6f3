"""A document's record in Redis: what it holds, in how few bytes, and what it reads back (issue 21).

Real redis-server, the texts archived in a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import redis

from archive.keys import Keys
from dedup.dates import UntrustedDate
from dedup.fingerprint import Fingerprint
from dedup.reasons import DocumentState
from dedup.records import Removal
from tests.engine_stack import ENGINE, stores
from workers.read.catalog import Catalog
from workers.read.search import TitleIndex
from workers.redis.direct_connection import run_call
from workers.stores.document_texts import DocumentText
from workers.stores.store import Store, StoredDocument, captures_digest

KEYS = Keys("rec")
URL = "https://jyj.example.gov.cn/doc/185.html"
CAPTURE = {"capture_id": "urn:uuid:1", "url": URL, "fetched_at": "2025-01-01T00:03:05.250000+00:00"}


def _doc(**changes: object) -> StoredDocument:
    doc = StoredDocument(
        doc_id="f48ebab9cae00fd68ff9",
        url=URL,
        final_url=URL,
        site="jyj.example.gov.cn",
        site_kind="docshare",
        source="crawl",
        title="书记在2024年安全生产工作会议上的讲话",
        published=date(2020, 9, 28),
        fetched_at=datetime(2025, 1, 1, 0, 3, 5, 250000, tzinfo=UTC),
        captures=(CAPTURE,),
        display="同志们：\n今天召开会议。",
        original="同志们：\n今天召開會議。",
        removed=(Removal("chrome", "返回 下载"),),
        truncated=False,
        extractor="trafilatura",
        norm_version="norm4",
        fingerprint_id="c5m128s1a32-norm4-ce2781f6",
        key_hash="ba7e448a60a1e2e3ae1dfd6f578e42ee1d83b163",
        content_hash="1d9382596fac257813c43ee6114e8e032457de04",
        state=DocumentState.INDEXED,
        cluster_id="c8ed7c10ded08bf9b",
        reuse_ratio=0.0123456,
        source_count=2,
        published_from="byline",
        published_untrusted=(UntrustedDate(date(2031, 1, 1), "body", "after capture"),),
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(redis_client: redis.Redis, tmp_path: Path) -> Store:
    return stores(redis_client, KEYS, warc_dir=tmp_path / "warc").documents


def _raw(store: Store, doc_id: str) -> dict[str, bytes]:
    return {k.decode(): v for k, v in store.connection.hgetall(KEYS.doc(doc_id)).items()}


def _expected(doc: StoredDocument, seq: int) -> StoredDocument:
    """The document as read back: its ratio as the record keeps it (6 decimals), its key hash's
    first 16 characters."""
    return replace(doc, seq=seq, reuse_ratio=round(doc.reuse_ratio, 6), key_hash=doc.key_hash[:16])


def test_a_record_reads_back_as_saved(store: Store) -> None:
    doc = _doc()
    saved = store.save(doc)
    assert store.get(doc.doc_id) == _expected(doc, saved.seq)
    read = store.get(doc.doc_id)
    assert read is not None and read.fetched_at is not None
    assert read.fetched_at.isoformat() == doc.fetched_at.isoformat()  # type: ignore[union-attr]
    assert store.witnesses([doc.doc_id]) == {doc.doc_id: doc.witness}


def test_a_record_keeps_no_field_it_can_derive_and_short_encodings(store: Store) -> None:
    doc = _doc()
    store.save(doc)
    raw = _raw(store, doc.doc_id)
    assert "doc_id" not in raw  # its key names it
    assert "final_url" not in raw  # the same as its url
    assert "site" not in raw  # its url's host
    assert "fingerprint_id" not in raw  # with its texts in the archive
    assert raw["fetched_at"] == b"1735689785250000"  # microseconds since the epoch, UTC
    assert raw["published"] == b"20200928"
    assert raw["reuse_ratio"] == b"0.012346"
    assert len(raw["captures_digest"]) == 16


def test_a_ratio_and_a_count_written_by_the_scripts_are_short(store: Store) -> None:
    doc = _doc(state=DocumentState.PENDING, reuse_ratio=0.0)
    store.save(doc)
    run_call(store.connection, store.mark_indexed_call(doc.doc_id, "job", "c1", 0.5, 1))
    assert _raw(store, doc.doc_id)["reuse_ratio"] == b"0.5"
    run_call(store.connection, store.mark_indexed_call(doc.doc_id, "job", "c1", 0.0, 0))
    assert _raw(store, doc.doc_id)["reuse_ratio"] == b"0"
    read = store.get(doc.doc_id)
    assert read is not None and read.reuse_ratio == 0.0 and read.cluster_id == "c1"


def test_another_final_url_and_a_time_off_utc_are_kept_as_they_are(store: Store) -> None:
    east = datetime(2025, 1, 1, 8, 3, 5, tzinfo=timezone(timedelta(hours=8)))
    doc = _doc(final_url=URL.replace("185", "186"), site="jyj", fetched_at=east, published=None, title=None)
    saved = store.save(doc)
    raw = _raw(store, doc.doc_id)
    assert (raw["final_url"], raw["site"]) == (doc.final_url.encode(), b"jyj")
    assert raw["fetched_at"] == east.isoformat().encode()
    read = store.get(doc.doc_id)
    assert read == _expected(doc, saved.seq)
    assert read is not None and read.fetched_at is not None
    assert read.fetched_at.isoformat() == east.isoformat()
    assert store.find(doc.final_url) == read  # found by its final URL too


@pytest.mark.parametrize("site", ["", "jyj.example.gov.cn", "JYJ.example.gov.cn"])
def test_a_record_without_a_capture_time_or_with_any_site_reads_back(store: Store, site: str) -> None:
    doc = _doc(fetched_at=None, site=site)
    saved = store.save(doc)
    assert store.get(doc.doc_id) == _expected(doc, saved.seq)
    assert store.witnesses([doc.doc_id]) == {doc.doc_id: doc.witness}


def test_a_url_that_does_not_parse_keeps_its_site(store: Store) -> None:
    doc = _doc(url="http://[::1/x", final_url="http://[::1/x", site="")
    saved = store.save(doc)
    assert _raw(store, doc.doc_id)["site"] == b""
    assert store.get(doc.doc_id) == _expected(doc, saved.seq)


def _old_record(store: Store, doc: StoredDocument) -> None:
    """The record as the store wrote it before it was made smaller (every field spelled out,
    the archive's fields without `fingerprint_id`)."""
    untrusted = doc.published_untrusted
    archived = {
        "site_kind": doc.site_kind,
        "source": doc.source,
        "published_untrusted": json.dumps([[u.day.isoformat(), u.evidence, u.reason] for u in untrusted]),
        "captures": json.dumps(doc.captures, ensure_ascii=False),
        "extractor": doc.extractor,
        "norm_version": doc.norm_version,
        "truncated": str(int(doc.truncated)),
    }
    text = DocumentText(doc.display, doc.original, doc.removed, archived)
    pointer = store.texts.write_text(doc.url, "urn:uuid:1", text)
    material = json.dumps(list(doc.captures), ensure_ascii=False, sort_keys=True)
    fields = {
        "seq": 7,
        "doc_id": doc.doc_id,
        "url": doc.url,
        "final_url": doc.final_url,
        "site": doc.site,
        "title": doc.title or "",
        "published": doc.published.isoformat() if doc.published else "",
        "published_from": doc.published_from,
        "fetched_at": doc.fetched_at.isoformat() if doc.fetched_at else "",
        "fingerprint_id": doc.fingerprint_id,
        "key_hash": doc.key_hash,
        "content_hash": doc.content_hash,
        "state": doc.state.value,
        "cluster_id": doc.cluster_id or "",
        "reuse_ratio": f"{doc.reuse_ratio:.6f}",
        "source_count": doc.source_count,
        "captures_digest": hashlib.sha1(material.encode("utf-8")).hexdigest(),  # noqa: S324 - identity
        "text": pointer,
    }
    store.connection.hset(KEYS.doc(doc.doc_id), mapping=fields)
    store.connection.zadd(KEYS.docs, {doc.doc_id: 7})
    store.mark_changed([doc.doc_id])


def test_a_record_written_before_it_was_made_smaller_reads_back(store: Store) -> None:
    doc = _doc()
    _old_record(store, doc)
    assert store.get(doc.doc_id) == _expected(doc, 7)
    assert store.witnesses([doc.doc_id]) == {doc.doc_id: doc.witness}
    assert store.state_of(doc.doc_id) == (DocumentState.INDEXED, False, captures_digest(doc.captures))
    assert store.find(doc.url) is None or store.find(doc.url) == store.get(doc.doc_id)


def test_summaries_and_search_read_old_and_new_records(
    store: Store, redis_client: redis.Redis, tmp_path: Path
) -> None:
    new, old = _doc(), _doc(doc_id="0ld", url=URL.replace("185", "7"), final_url=URL.replace("185", "7"))
    other = _doc(doc_id="s1te", url=URL.replace("185", "8"), final_url=URL.replace("185", "8"), site="jyj")
    store.save(new)
    store.save(other)
    _old_record(store, old)
    catalog = Catalog(stores(redis_client, KEYS, warc_dir=tmp_path / "warc"))
    found = catalog.summaries([new.doc_id, old.doc_id, other.doc_id, "missing"])
    assert sorted(found) == sorted([new.doc_id, old.doc_id, other.doc_id])
    for doc in (new, old, other):
        summary = found[doc.doc_id]
        assert (summary.id, summary.url, summary.site, summary.title, summary.published) == (
            doc.doc_id, doc.url, doc.site, doc.title, doc.published
        )
    hits = TitleIndex(redis_client, KEYS).find("example.gov.cn/doc", 10)
    expected = sorted((d.doc_id, d.url, d.site) for d in (new, old, other))
    assert sorted((h.id, h.url, h.site) for h in hits) == expected


def test_state_of_a_new_record_gives_the_digest_recovery_compares(store: Store) -> None:
    doc = _doc()
    store.save(doc)
    assert store.state_of(doc.doc_id) == (DocumentState.INDEXED, False, captures_digest(doc.captures))


def _fingerprint(doc: StoredDocument, key_hash: str) -> Fingerprint:
    signature = np.arange(ENGINE.fingerprint.num_perm, dtype="<u4").tobytes()
    return Fingerprint(doc.doc_id, ENGINE.fingerprint_id, signature, 200, key_hash)


def test_a_record_keeps_its_key_hash_short_and_a_claim_still_checks_it(
    store: Store, redis_client: redis.Redis, tmp_path: Path
) -> None:
    new = _doc()
    old_url = URL.replace("185", "7")
    old = _doc(doc_id="0ld", url=old_url, final_url=old_url, key_hash="ab" * 20)
    store.save(new)
    _old_record(store, old)
    assert _raw(store, new.doc_id)["key_hash"] == new.key_hash[:16].encode()
    clusters = stores(redis_client, KEYS, warc_dir=tmp_path / "warc").clusters
    for doc in (new, old):
        other = _fingerprint(doc, "0" * 40)
        assert run_call(redis_client, clusters.claim_call(other, KEYS.doc(doc.doc_id))) is None
        own = _fingerprint(doc, doc.key_hash)
        assert run_call(redis_client, clusters.claim_call(own, KEYS.doc(doc.doc_id))) == doc.doc_id
    missing = _fingerprint(_doc(doc_id="none"), new.key_hash)
    assert run_call(redis_client, clusters.claim_call(missing, KEYS.doc("none"))) is None
