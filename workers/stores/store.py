"""Documents, alignments, rejections and counters in Redis (key layout: archive.keys).

A document's texts (display, original, removal records) and its alignments live in the WARC
archive (workers.stores.document_texts); its record in Redis keeps a pointer to them (`text`, and
one per aligned pair, in buckets: workers.stores.key_buckets). The match key and its offset map
are not stored but rebuilt from the display text, which normalization makes a fixed point. Records
written before the texts moved (`display_z`) are still read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from redis.typing import EncodableT

from archive.keys import Keys, url_hash
from dedup.align import Alignment
from dedup.dates import UntrustedDate
from dedup.errors import ConfigError
from dedup.normalize.key import match_key
from dedup.pair_rule import LinkRule, rank_key
from dedup.provenance import Witness
from dedup.reasons import DocumentState
from dedup.records import NormalizedText, Rejection, Removal
from workers.errors import TextUnavailable
from workers.redis.direct_connection import Call, LuaScript, pipelined, round_trip, run_call
from workers.redis.slot_routing import RedisClient
from workers.stores.document_texts import DocumentText, DocumentTexts
from workers.stores.key_buckets import PRELUDES, bucket_key, layout_base, unpack
from workers.stores.pair_links import RANK_FIELD, PairLinks
from workers.stores.replies import pairs, text_of, text_or_none
from workers.stores.union_find_layout import LUA as UNION_FIND_LUA

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredDocument:
    doc_id: str
    url: str
    final_url: str
    site: str
    site_kind: str
    source: str  # "crawl" or "import"
    title: str | None
    published: date | None
    fetched_at: datetime | None
    captures: tuple[dict[str, Any], ...]
    display: str
    original: str
    removed: tuple[Removal, ...]
    truncated: bool
    extractor: str
    norm_version: str
    fingerprint_id: str
    key_hash: str  # read back: its first 16 characters (the record keeps no more)
    content_hash: str
    state: DocumentState = DocumentState.PENDING
    cluster_id: str | None = None
    reuse_ratio: float = 0.0
    source_count: int = 0
    seq: int = 0
    published_from: str = ""  # where `published` came from (dedup.dates.EVIDENCE)
    published_untrusted: tuple[UntrustedDate, ...] = ()  # dates found but not trusted, and why
    trace_after: tuple[str, ...] | None = None  # deferred: its likely sources, until its trace runs

    @property
    def untraced(self) -> bool:
        """Clustered, its alignment and provenance waiting on the trace queue."""
        return self.trace_after is not None

    @property
    def witness(self) -> Witness:
        return Witness(self.doc_id, self.url, self.site, self.published, self.fetched_at, self.published_from)

    def norm(self) -> NormalizedText:
        return _rebuilt(
            self.doc_id,
            self.display,
            self.original,
            self.norm_version,
            self.title,
            self.truncated,
            self.removed,
        )


_WITNESS_FIELDS = ("url", "site", "published", "fetched_at", "published_from")  # (its key names the id)
_TEXT_FIELDS = ("text", "display_z", "original_z", "removed_z")  # the pointer, or (older records) the texts
_NORM_FIELDS = (*_TEXT_FIELDS, "norm_version", "title", "truncated", "content_hash")
# Fields no script or single read needs: kept with the texts in the archive, so the record in Redis
# is smaller (`captures` alone is ~360 bytes a page); `captures_digest` stands in for recovery.
_ARCHIVED_FIELDS = (
    "site_kind", "source", "published_untrusted", "captures", "extractor", "norm_version", "truncated",
    "fingerprint_id",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Saved:
    """A guarded save: the record as saved, or None when the stored one was kept (`other`:
    it holds other content; `deleted`: the document was deleted after this capture; else it is
    indexed with this content, in `cluster_id`)."""

    doc: StoredDocument | None
    other: bool = False
    cluster_id: str | None = None
    deleted: bool = False
    untraced: bool = False  # indexed with this content, its trace still waiting


_NO_ALIGNER = "this store was opened without an aligner (workers.stores.store_set.open_stores)"
_NO_ARCHIVE = "this store was opened without the archive directory (workers.stores.store_set.open_stores)"


class Store:
    def __init__(
        self,
        connection: RedisClient,
        keys: Keys,
        align_version: str | None = None,
        links: LinkRule | None = None,
        texts: DocumentTexts | None = None,
    ) -> None:
        """`align_version`: the aligner whose alignments are read and written (of another, never
        mixed in), `links` the pair rule that says which of them provenance uses; a store opened
        without them (counters, rejections) refuses alignments, one without `texts` (the archive's
        reader and writer) refuses documents' texts."""
        self.connection = connection
        self._texts = texts
        self.keys = keys
        self.align_version = align_version
        self._save = LuaScript(connection, "document_save.lua")
        self._indexed = LuaScript(connection, "document_indexed.lua", UNION_FIND_LUA)
        self._count = LuaScript(connection, "counters_add.lua")
        self._save_alignments = LuaScript(connection, "alignments_save.lua", *PRELUDES)
        self._delete = LuaScript(connection, "document_delete.lua", *PRELUDES)
        self._traced = LuaScript(connection, "document_traced.lua")
        self._changed = LuaScript(connection, "changes_mark.lua")
        self._links = None
        if align_version is not None and links is not None:
            self._links = PairLinks(connection, keys, align_version, links)

    # documents ----------------------------------------------------------------------------

    def save(self, doc: StoredDocument) -> StoredDocument:
        """Write the whole record (state as given); assigns an ingest sequence number once."""
        return run_call(self.connection, self._save_call(doc, "", lambda seq: replace(doc, seq=int(seq))))

    def save_new_call(self, doc: StoredDocument) -> Call[Saved]:
        """`save`, unless a record with this id holds other content, or is indexed with this
        content; a re-run of the same content not yet indexed keeps its sequence number."""
        return self._save_call(doc, doc.content_hash, functools.partial(_saved, doc))

    def _save_call(self, doc: StoredDocument, guard: str, parse: Callable[[Any], T]) -> Call[T]:
        urls = dict.fromkeys((self._url(doc.url), self._url(doc.final_url)))
        fields_ = [item for pair in self._encode(doc).items() for item in pair]
        keys = [
            self.keys.doc(doc.doc_id),
            self.keys.seq,
            self.keys.docs,
            self.keys.changes,
            self.keys.change_seq,
            self.keys.deleted,
        ]
        captured = f"{doc.fetched_at.timestamp():.6f}" if doc.fetched_at else ""
        url_fields = [part for url in urls for part in url]
        args = [doc.doc_id, doc.seq, guard, captured, len(urls), *url_fields, *fields_]
        return self._save.call(keys, args, parse)

    def mark_indexed_call(
        self,
        doc_id: str,
        input_id: str,
        cluster_id: str,
        reuse_ratio: float,
        sources: int,
        union_find: str = "",
        deferred: tuple[Sequence[str], str] | None = None,
    ) -> Call[str | None]:
        """State `indexed`, the cluster and reuse summary; an earlier rejection of the input is
        withdrawn; the cluster id recorded. `union_find` (ClusterStore.base): the cluster is read
        there, as it is now (sent after a merge: the cluster it made). `deferred`: the trace
        waits, with these likely sources, and only while the document holds this content hash
        (else nothing is written: None)."""
        keys = [
            self.keys.doc(doc_id),
            self.keys.changes,
            self.keys.change_seq,
            self.keys.rejection(input_id),
            self.keys.rejections,
            self.keys.stats("rejected"),
            f"{union_find or self.keys.union_find('')}:p",  # (none given: no such hashes, in the slot)
            f"{union_find or self.keys.union_find('')}:cid",  # (their buckets: union_find_layout)
            self.keys.untraced,
        ]
        args: list[EncodableT] = [doc_id, cluster_id, _ratio(reuse_ratio), sources, input_id]
        if deferred is not None:
            args += [" ".join(deferred[0]), deferred[1]]
        return self._indexed.call(keys, args, text_or_none)

    def mark_traced(self, doc_id: str, content_hash: str, reuse_ratio: float, sources: int) -> bool:
        """A deferred trace done; False (nothing written) when the document no longer holds
        `content_hash` or is not waiting for its trace."""
        keys = [self.keys.doc(doc_id), self.keys.untraced, self.keys.changes, self.keys.change_seq]
        return bool(self._traced(keys=keys, args=[doc_id, content_hash, _ratio(reuse_ratio), sources]))

    def count_untraced(self) -> int:
        return int(self.connection.scard(self.keys.untraced))

    def get(self, doc_id: str) -> StoredDocument | None:
        return self.get_many([doc_id])[0]

    def find(self, doc_id_or_url: str) -> StoredDocument | None:
        """By document id, else by (final) URL."""
        found = self.get(doc_id_or_url)
        if found:
            return found
        doc_id = self.connection.hget(*self._url(doc_id_or_url))
        return self.get(text_of(doc_id)) if doc_id else None

    def _url(self, url: str) -> tuple[str, str]:
        """The bucket and field that hold the id of the document at `url` (workers.stores.key_buckets)."""
        hashed = url_hash(url)
        return bucket_key(layout_base(self.keys.urls), hashed), hashed

    def get_many(self, doc_ids: Sequence[str]) -> list[StoredDocument | None]:
        """The records, texts read from the archive; TextUnavailable when one cannot be."""
        replies = pipelined(self.connection, [("HGETALL", self.keys.doc(d)) for d in doc_ids])
        found = zip(doc_ids, replies, strict=True)
        return [self._decode(doc_id, pairs(flat)) if flat else None for doc_id, flat in found]

    def state_of(self, doc_id: str) -> tuple[DocumentState, bool, str] | None:
        """A document's state, whether its trace waits, and its captures' digest (no text read)."""
        fields_ = ("state", "trace_after", "captures_digest", "captures")
        state, after, digest, captures = self.connection.hmget(self.keys.doc(doc_id), *fields_)
        if state is None:
            return None
        if digest is None:  # a record from before the texts moved out
            digest = captures_digest(json.loads(text_of(captures)))
        return DocumentState(text_of(state)), after is not None, text_of(digest)[:_DIGEST_CHARS]

    def norms(
        self, doc_ids: Sequence[str], on_unreadable: Callable[[TextUnavailable], None] | None = None
    ) -> dict[str, tuple[str, NormalizedText]]:
        """Just what alignment needs (display text, original, versions) with the content hash it
        has, by id; unknown ids left out, and those whose text is unreadable (`on_unreadable`
        hears of each; raised when not given)."""
        replies = pipelined(self.connection, [("HMGET", self.keys.doc(d), *_NORM_FIELDS) for d in doc_ids])
        found = {}
        for doc_id, values in zip(doc_ids, replies, strict=True):
            if values[0] is None and values[1] is None:
                continue
            try:
                text = self._text(doc_id, values[:4])
            except TextUnavailable as exc:
                if on_unreadable is None:
                    raise
                on_unreadable(exc)
                continue
            found[doc_id] = (text_of(values[-1]), _norm(doc_id, text, values[4:-1]))
        return found

    def _text(self, doc_id: str, values: Sequence[Any]) -> DocumentText:
        """A record's texts from the pointer in its `text` field (or, older, its own fields)."""
        pointer, display_z, original_z, removed_z = values
        if pointer is None:
            display = _unzip(display_z)
            removed = tuple(Removal(r, x) for r, x in json.loads(_unzip(removed_z))) if removed_z else ()
            return DocumentText(display, _unzip(original_z) if original_z else display, removed)
        return self.texts.text(doc_id, text_of(pointer))

    @property
    def texts(self) -> DocumentTexts:
        if self._texts is None:
            raise ConfigError(_NO_ARCHIVE)
        return self._texts

    def _encode(self, doc: StoredDocument) -> dict[Any, Any]:
        """The record's fields, its texts written to the archive first (the pointer only after)."""
        capture_id = str(doc.captures[0].get("capture_id", "")) if doc.captures else ""
        kept = _encode(doc)
        archived = {name: str(kept.pop(name)) for name in _ARCHIVED_FIELDS}
        text = DocumentText(doc.display, doc.original, doc.removed, archived)
        kept["captures_digest"] = captures_digest(doc.captures)
        return {**kept, "text": self.texts.write_text(doc.url, capture_id, text)}

    def _decode(self, doc_id: str, raw: Mapping[Any, Any]) -> StoredDocument:
        v = {text_of(k): val for k, val in raw.items()}
        return _decode(doc_id, v, self._text(doc_id, [v.get(f) for f in _TEXT_FIELDS]))

    def witnesses(self, doc_ids: Sequence[str]) -> dict[str, Witness]:
        return self.witnesses_and_hashes(doc_ids)[0]

    def witnesses_and_hashes(self, doc_ids: Sequence[str]) -> tuple[dict[str, Witness], dict[str, str]]:
        """Each known document as a provenance witness, and its content hash (what a cached
        prepared text is checked against), by id; unknown ids left out."""
        return run_call(self.connection, self.witnesses_and_hashes_call(doc_ids))

    def witnesses_and_hashes_call(
        self, doc_ids: Sequence[str]
    ) -> Call[tuple[dict[str, Witness], dict[str, str]]]:
        fields = (*_WITNESS_FIELDS, "content_hash")
        commands = tuple(("HMGET", self.keys.doc(d), *fields) for d in doc_ids)
        return Call(commands, lambda replies: _witnesses_and_hashes(doc_ids, replies))

    def document_ids(self, start: int = 0, stop: int = -1) -> list[str]:
        return [text_of(v) for v in self.connection.zrange(self.keys.docs, start, stop)]

    def count_documents(self) -> int:
        return int(self.connection.zcard(self.keys.docs))

    def delete(self, doc_id: str) -> None:
        """Forget a document and every alignment that mentions it, atomically (index entries:
        the caller, workers.flow.transitions). It and the documents aligned with it, whose sources
        may change, are marked changed."""
        held = self.connection.hmget(self.keys.doc(doc_id), "url", "final_url")  # (not its archived text)
        urls = dict.fromkeys(self._url(text_of(url)) for url in held if url)
        keys = [self.keys.doc(doc_id), self._aln(doc_id), self.keys.docs]
        keys += [self.keys.changes, self.keys.change_seq, self.keys.untraced]
        self._delete(keys=keys, args=[doc_id, self._aln_base, *(part for url in urls for part in url)])

    def mark_changed(self, doc_ids: Sequence[str]) -> None:
        """An incremental export writes them again (their sources may have changed)."""
        if doc_ids:
            self._changed(keys=[self.keys.changes, self.keys.change_seq], args=list(doc_ids))

    def mark_deleted(self, doc_id: str, when: datetime) -> None:
        """Captures of the document made until `when` are not ingested again (reindex too)."""
        self.connection.hset(self.keys.deleted, doc_id, f"{when.timestamp():.6f}")

    # alignments ---------------------------------------------------------------------------

    @property
    def links(self) -> PairLinks:
        if self._links is None:
            raise ConfigError(_NO_ALIGNER)
        return self._links

    @property
    def _aln_base(self) -> str:
        """The base of the alignment pointers' buckets (workers.stores.key_buckets)."""
        if self.align_version is None:
            raise ConfigError(_NO_ALIGNER)
        return layout_base(self.keys.alignments(self.align_version))

    def _aln(self, doc_id: str) -> str:
        """The bucket whose field `doc_id` holds the document's alignment pointers, packed."""
        return bucket_key(self._aln_base, doc_id)

    def save_alignments(
        self,
        doc_id: str,
        found: Mapping[str, Sequence[Alignment]],
        against: Mapping[str, str] | None = None,
        aligned_as: str = "",
        origin: StoredDocument | None = None,
    ) -> dict[str, list[Alignment]] | None:
        """Both directions of every pair, so either document's trace sees the other; returns
        every alignment of `doc_id` as stored now (others' included), in the same round trip.
        `against`: the content hash each other document was aligned as; a pair whose other
        side holds another text by now (changed or deleted meanwhile) is not saved. None, and
        nothing saved, when `doc_id` no longer holds `aligned_as` (given: its content hash).
        The pairs are one archive record (referring to the capture of `origin`, the document,
        read when not given), both directions pointing at it."""
        args: list[EncodableT] = [doc_id, aligned_as]
        kept = {other: alignments for other, alignments in found.items() if alignments}
        pointer = self.texts.write_alignments(*self._origin(doc_id, origin), doc_id, kept) if kept else ""
        for other in kept:
            expected = (against or {}).get(other, "")
            args += [other, self._aln(other), self.keys.doc(other), expected, pointer, pointer]
        reply = self._save_alignments(keys=[self._aln(doc_id), self.keys.doc(doc_id)], args=args)
        return None if reply is None else self._aligned(doc_id, reply)

    def _origin(self, doc_id: str, doc: StoredDocument | None) -> tuple[str, str]:
        """The URL and first capture id an alignment record of `doc_id` refers to."""
        doc = doc or self.get(doc_id)
        if doc is None:
            return f"urn:dedupcrawl:document:{doc_id}", ""
        return doc.url, str(doc.captures[0].get("capture_id", "")) if doc.captures else ""

    def _aligned(self, doc_id: str, packed: Any) -> dict[str, list[Alignment]]:
        """A document's alignment pointers read back (packed: `key_buckets.pack`; None: none),
        resolved through the archive. (The JSON alignments of stores older than the pointers
        were in the layout before the buckets, which is not read: reindex rebuilds them.)"""
        pointers = unpack(text_of(packed))
        return self.texts.alignments(doc_id, pointers) if pointers else {}

    def aligned_pairs(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the pairs that have alignments stored."""
        found = pipelined(self.connection, [("HGET", self._aln(a), a) for a, _ in pairs])
        return {(a, b) for (a, b), held in zip(pairs, found, strict=True) if b in unpack(text_of(held))}

    def alignments(self, doc_id: str) -> list[tuple[Witness, Alignment]]:
        """Every alignment of `doc_id` (on side a) that counts (dedup.pair_rule), with the
        witness on the other side."""
        aligned = self._aligned(doc_id, self.connection.hget(self._aln(doc_id), doc_id))
        known, linked = self._linked({doc_id: aligned}, sorted(aligned))
        return self.with_witnesses(linked[doc_id], known)

    def evidence_many(
        self, doc_ids: Sequence[str]
    ) -> dict[str, tuple[Witness, list[tuple[Witness, Alignment]]]]:
        """Each known document's witness and `alignments`, in two round trips however many (a
        list's column); unknown ids left out."""
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.hget(self._aln(doc_id), doc_id)
        aligned = {d: self._aligned(d, packed) for d, packed in zip(doc_ids, pipe.execute(), strict=True)}
        others = {other for found in aligned.values() for other in found}
        known, linked = self._linked(aligned, sorted({*doc_ids, *others}))
        return {d: (known[d], self.with_witnesses(a, known)) for d, a in linked.items() if d in known}

    def _linked(
        self, aligned: Mapping[str, _Aligned], witnesses: Sequence[str]
    ) -> tuple[dict[str, Witness], dict[str, _Aligned]]:
        """The `witnesses` known, and each document's alignments with the others the pair rule
        links it with now, in one round trip."""
        found = self.witnesses_and_hashes_call(witnesses)
        keep = self.links.kept_call({d: list(others) for d, others in aligned.items()})
        (known, _), kept = round_trip(self.connection, [found, keep])
        return known, {d: {o: a for o, a in others.items() if o in kept[d]} for d, others in aligned.items()}

    def with_witnesses(
        self, aligned: Mapping[str, list[Alignment]], known: Mapping[str, Witness] | None = None
    ) -> list[tuple[Witness, Alignment]]:
        """Alignments paired with their other side's witness (fetching those not `known`)."""
        known = dict(known or {})
        missing = sorted(other for other in aligned if other not in known)
        if missing:
            known.update(self.witnesses(missing))
        return [(known[other], a) for other in sorted(aligned) if other in known for a in aligned[other]]

    # rejections and counters --------------------------------------------------------------

    def reject(self, rejection: Rejection) -> bool:
        """Record a rejection once per input; counted by stage and reason. False if known."""
        key = self.keys.rejection(rejection.input_id)
        fields_: dict[Any, Any] = {f.name: getattr(rejection, f.name) for f in fields(rejection)}
        fields_["at"] = datetime.now(UTC).isoformat()
        if not self.connection.hsetnx(key, "reason", rejection.reason):
            return False
        pipe = self.connection.pipeline(transaction=True)
        pipe.hset(key, mapping=fields_)
        pipe.zadd(self.keys.rejections, {rejection.input_id: datetime.now(UTC).timestamp()})
        pipe.hincrby(self.keys.stats("rejected"), f"{rejection.stage}:{rejection.reason}", 1)
        pipe.execute()
        return True

    def rejection(self, input_id: str) -> Rejection | None:
        raw = self.connection.hgetall(self.keys.rejection(input_id))
        if not raw:
            return None
        values = {text_of(k): text_of(v) for k, v in raw.items()}
        return Rejection(**{f.name: values.get(f.name, "") for f in fields(Rejection)})

    def rejections(self, start: int = 0, stop: int = -1) -> list[Rejection]:
        ids = [text_of(v) for v in self.connection.zrevrange(self.keys.rejections, start, stop)]
        return [r for r in map(self.rejection, ids) if r]

    def count(self, stat: str, counts: Mapping[str, float]) -> None:
        self.count_many({stat: counts})

    def count_many(self, counts: Mapping[str, Mapping[str, float]]) -> None:
        """Several counter families in one call."""
        if not counts:
            return  # (a script call with no key has no slot to go to)
        keys: list[EncodableT] = []
        args: list[EncodableT] = []
        for stat, by_name in counts.items():
            keys.append(self.keys.stats(stat))
            args.append(len(by_name))
            for name, amount in by_name.items():
                args.extend((name, amount))
        self._count(keys=keys, args=args)

    def stats(self, stat: str) -> dict[str, float]:
        raw = self.connection.hgetall(self.keys.stats(stat))
        return {text_of(k): float(v) for k, v in raw.items() if float(v)}


def _encode(doc: StoredDocument) -> dict[Any, Any]:
    """The record's fields, none its key or another field gives (`doc_id`; `final_url` when it is
    the url, `site` when it is the url's host: `site_of`), times and numbers short (`_instant`,
    `_day`, `_ratio`), hashes no longer than their checks need (`_DIGEST_CHARS`). In bench/scale.py
    a record took 822 bytes at 100k documents (MEMORY USAGE), 595 so; at 20k 819, 641 before the
    site and key hash cuts, 592 after. The field names (~130 bytes) are kept: the scripts and
    older records read them."""
    return {
        **({"final_url": doc.final_url} if doc.final_url != doc.url else {}),
        "url": doc.url,
        **({} if doc.site == _host(doc.url) else {"site": doc.site}),
        "site_kind": doc.site_kind,
        "source": doc.source,
        "title": doc.title or "",
        "published": _day(doc.published),
        "published_from": doc.published_from,
        "published_untrusted": _untrusted_json(doc.published_untrusted),
        "fetched_at": _instant(doc.fetched_at),
        "captures": json.dumps(doc.captures, ensure_ascii=False),
        "truncated": int(doc.truncated),
        "extractor": doc.extractor,
        "norm_version": doc.norm_version,
        "fingerprint_id": doc.fingerprint_id,
        "key_hash": doc.key_hash[:_DIGEST_CHARS],  # what cluster_claim.lua checks a claim against
        "content_hash": doc.content_hash,
        "state": doc.state,
        "cluster_id": doc.cluster_id or "",
        "reuse_ratio": _ratio(doc.reuse_ratio),
        "source_count": doc.source_count,
        RANK_FIELD: rank_key(doc.witness),  # its member in its neighbours' sets (workers.stores.pair_links)
    }


def _decode(doc_id: str, v: Mapping[str, Any], text: DocumentText) -> StoredDocument:
    """A record read back, of this or an earlier layout (every field spelled out: `_encode`)."""
    t = {**text.fields, **{k: text_of(val) for k, val in v.items() if not k.endswith("_z")}}
    return StoredDocument(
        doc_id=doc_id,
        url=t["url"],
        final_url=t.get("final_url") or t["url"],
        site=site_of(t.get("site"), t["url"]),
        site_kind=t["site_kind"],
        source=t["source"],
        title=t["title"] or None,
        published=date.fromisoformat(t["published"]) if t["published"] else None,
        published_from=t.get("published_from", ""),
        published_untrusted=_untrusted(t.get("published_untrusted") or "[]"),
        fetched_at=_instant_of(t["fetched_at"]),
        captures=tuple(json.loads(t["captures"])),
        display=text.display,
        original=text.original,
        removed=text.removed,
        truncated=t["truncated"] == "1",
        extractor=t["extractor"],
        norm_version=t["norm_version"],
        fingerprint_id=t["fingerprint_id"],
        key_hash=t["key_hash"][:_DIGEST_CHARS],
        content_hash=t["content_hash"],
        state=DocumentState(t["state"]),
        cluster_id=t["cluster_id"] or None,
        reuse_ratio=float(t["reuse_ratio"]),
        source_count=int(t["source_count"]),
        seq=int(t["seq"]),
        trace_after=tuple(t["trace_after"].split()) if "trace_after" in t else None,
    )


def _saved(doc: StoredDocument, reply: Any) -> Saved:
    """A guarded save's reply (document_save.lua): the seq, or why the stored record was kept."""
    if isinstance(reply, int):
        return Saved(replace(doc, seq=reply))
    if text_of(reply[0]) == "other":
        return Saved(None, other=True)
    if text_of(reply[0]) == "deleted":
        return Saved(None, deleted=True)
    return Saved(None, cluster_id=text_of(reply[1]) or None, untraced=text_of(reply[2]) == "1")


def _witnesses_and_hashes(
    doc_ids: Sequence[str], replies: Sequence[list[Any]]
) -> tuple[dict[str, Witness], dict[str, str]]:
    witnesses, hashes = {}, {}
    for doc_id, values in zip(doc_ids, replies, strict=True):
        if values[0] is not None:
            witnesses[doc_id], hashes[doc_id] = _witness(doc_id, values[:-1]), text_of(values[-1])
    return witnesses, hashes


def _norm(doc_id: str, text: DocumentText, values: Sequence[Any]) -> NormalizedText:
    """`values`: norm_version, title, truncated as Redis holds them (the first and last only in
    records from before they moved to the archive)."""
    names = ("norm_version", "title", "truncated")
    inline = {name: text_of(value) for name, value in zip(names, values, strict=True) if value is not None}
    held = {**text.fields, **inline}
    truncated, title = held["truncated"] == "1", held.get("title") or None
    return _rebuilt(doc_id, text.display, text.original, held["norm_version"], title, truncated)


# 64 bits tell one document's captures (or match keys) from its others' (records before: all 40)
_DIGEST_CHARS = 16


def captures_digest(captures: Sequence[Mapping[str, Any]]) -> str:
    """What a document was ingested from, in a few bytes (workers.flow.recovery compares it)."""
    material = json.dumps(list(captures), ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(material.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]  # noqa: S324 - identity


def _rebuilt(
    doc_id: str,
    display: str,
    original: str,
    norm_version: str,
    title: str | None,
    truncated: bool,
    removed: tuple[Removal, ...] = (),
) -> NormalizedText:
    """The NormalizedText a stored display text came from (normalization is a fixed point)."""
    key, offsets = match_key(display)
    return NormalizedText(doc_id, display, key, offsets, original, removed, truncated, norm_version, title)


def _witness(doc_id: str, values: Sequence[Any]) -> Witness:
    """From the replies of `_WITNESS_FIELDS`."""
    url, published, fetched_at, published_from = (text_of(values[i]) for i in (0, 2, 3, 4))
    return Witness(
        doc_id,
        url,
        site_of(values[1], url),
        date.fromisoformat(published) if published else None,
        _instant_of(fetched_at),
        published_from,
    )


def site_of(held: object, url: str) -> str:
    """A record's site from its `site` field (a reply), or its URL's host when the record
    leaves it out (`_encode`: the same as the host)."""
    return (_host(url) or "") if held is None else text_of(held)


def _host(url: str) -> str | None:
    """The URL's host as the ingest names a site without one (workers.flow.ingest); None for
    a URL that does not parse."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None


def _day(day: date | None) -> str:
    """`YYYYMMDD` (an integer in the listpack: 6 bytes, ISO's 12), which date.fromisoformat reads."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}" if day else ""


def _instant(when: datetime | None) -> str:
    """Microseconds since the epoch when in UTC (an integer in the listpack: 10 bytes, ISO's 27),
    else ISO (its offset kept: exports print it)."""
    if when is None:
        return ""
    if when.utcoffset() == timedelta(0):
        return str((when - _EPOCH) // _MICROSECOND)
    return when.isoformat()


def _instant_of(held: str) -> datetime | None:
    """`_instant` read back, or an ISO time (records before it)."""
    if not held:
        return None
    if held.lstrip("-").isdigit():
        return _EPOCH + int(held) * _MICROSECOND
    return datetime.fromisoformat(held)


def _ratio(ratio: float) -> str:
    """To 6 decimals as before, without trailing zeros (`0.3`, `0`): the same float read back."""
    return f"{ratio:.6f}".rstrip("0").rstrip(".")


def _untrusted_json(untrusted: Sequence[UntrustedDate]) -> str:
    return json.dumps([[u.day.isoformat(), u.evidence, u.reason] for u in untrusted])


def _untrusted(encoded: str) -> tuple[UntrustedDate, ...]:
    return tuple(UntrustedDate(date.fromisoformat(d), e, r) for d, e, r in json.loads(encoded))


_Aligned = dict[str, list[Alignment]]  # other doc id -> alignments


def _unzip(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")
