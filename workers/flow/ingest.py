"""The ingest pipeline: capture → extract → normalize → fingerprint → cluster → align → store.

The only place that composes the stages (DESIGN.md's flow). Re-running it on the same input
changes nothing: the document id comes from its URL, the content hash from its display text and
the versions, and every index write below is idempotent. A document is saved (state `pending`)
before it enters any index, so whoever finds it as a candidate can read its text.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from rq.timeouts import JobTimeoutException

from archive.capture import CaptureRef, DocumentCapture
from archive.errors import WarcReadError
from archive.keys import url_hash
from archive.location import ArchiveRoot
from archive.warc import read_page
from crawler.handoff import JOB_DOCUMENTS, ingest_job_id
from dedup.align import (
    Alignment,
    KeyIndex,
    SeedTable,
    align_many,
    align_prepared_against,
    align_prepared_many,
    prepare,
)
from dedup.clusters import ClusterAssignment
from dedup.dates import GIVEN, DateEvidence, UntrustedDate, choose
from dedup.errors import Rejected
from dedup.extract import extract
from dedup.fingerprint import Fingerprint, fingerprint
from dedup.lsh import Candidate
from dedup.normalize import join_pages, normalize
from dedup.provenance import Trace, Witness, trace
from dedup.reasons import IngestStatus, RejectReason, TraceStatus
from dedup.records import Extraction, NormalizedText, Page, Rejection
from workers.errors import ConcurrentChange, TextUnavailable
from workers.flow.imports import IMPORT_RECORD, ImportRecord
from workers.flow.round_trips import RoundTrips
from workers.flow.stage_tally import StageTally, summed
from workers.flow.trace_queue import TraceRequest, enqueue_traces
from workers.flow.transitions import DocumentIndexes
from workers.redis.direct_connection import Call, run_call
from workers.stores.candidate_cache import CandidateCache
from workers.stores.cluster_store import Verified, claimed
from workers.stores.pair_links import Near
from workers.stores.store import Saved, StoredDocument
from workers.stores.store_set import Stores

T = TypeVar("T")
# documents whose counters an import or reindex writes in one call (Ingestor.counted_in_batches)
COUNTS_EVERY = 64
logger = logging.getLogger(__name__)
_WARM_UP_PAGE = (
    "<html><head><title>會議講話</title></head><body><article><p>"
    + "同志們：今天我們召開全市2019年度教育工作會議，主要任務是回顧總結(zǒng jié)工作。" * 12
    + "</p></article></body></html>"
).encode()


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What is known of a document besides its text."""

    input_id: str
    url: str
    final_url: str
    site: str
    site_kind: str
    source: str
    fetched_at: datetime | None
    captures: tuple[dict[str, Any], ...]
    title: str | None = None
    published: date | None = None
    extractor: str = ""
    published_from: str = ""
    published_untrusted: tuple[UntrustedDate, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    input_id: str
    status: IngestStatus
    doc_id: str | None = None
    cluster_id: str | None = None
    reason: str = ""


def document_id(url: str) -> str:
    return url_hash(url)[:20]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A capture through the stages that need no Redis (read, extract, normalize): its
    normalized text, or why it was rejected."""

    meta: DocumentMeta
    tally: StageTally
    text: NormalizedText | Rejected


@dataclass(frozen=True, slots=True)
class Tracing:
    """A clustered document, as its tracing needs it: its record and text, its verified
    neighbours (likely sources) and the documents sharing passages with it (most shared first)."""

    doc: StoredDocument
    norm: NormalizedText
    neighbours: tuple[str, ...]
    sharing: tuple[tuple[str, int], ...]


class Ingestor:
    def __init__(self, stores: Stores, warc_dir: ArchiveRoot, defer_trace: bool = False) -> None:
        """`defer_trace`: cluster only; alignment and provenance go to the trace queue
        (`trace_many` runs them), requested by `flush_traces`."""
        self.config = stores.engine
        self.defer_trace = defer_trace
        self.trace_requests: list[TraceRequest] = []
        self.connection = stores.connection  # the index's
        self.queues = stores.queues  # where trace jobs go
        self.store = stores.documents
        self.clusters = stores.clusters
        self.passages = stores.passages
        self.candidate_cache = CandidateCache(self.config.candidate_cache_bytes)
        self.indexes = DocumentIndexes(self.store, self.clusters, self.passages)
        self.warc_dir = warc_dir
        self.counts_every = 1  # documents whose counters go to Redis in one call (`counted_in_batches`)
        self.unsaved_counts: list[StageTally] = []

    @contextlib.contextmanager
    def counted_in_batches(self, every: int = COUNTS_EVERY) -> Iterator[None]:
        """`ingest_capture` writes the counters of `every` documents at a time, and what is left
        on the way out: a long import or reindex, where one call a document cost 0.2 ms of Redis
        time (counters_add.lua). A process killed meanwhile loses up to `every` documents'
        counters, never a document."""
        self.counts_every = every
        try:
            yield
        finally:
            self.counts_every = 1
            self.flush_counts()

    def flush_counts(self) -> None:
        tallies, self.unsaved_counts = self.unsaved_counts, []
        self.store.count_many(summed(tallies))

    def warm_up(self) -> None:
        """Run the pure stages once so lazy caches (OpenCC, trafilatura, regexes) are built
        before a forking worker copies this process for every job."""
        page = Page("warm-up", "https://warm-up.invalid/", _WARM_UP_PAGE, (("Content-Type", "text/html"),))
        norm = normalize(extract(page), self.config.norm)
        fingerprint("warm-up", norm.key, norm.norm_version, self.config.fingerprint)
        align_many(norm, [norm], self.config.align)

    def ingest_capture(self, capture: DocumentCapture, written: Mapping[str, Page] | None = None) -> Outcome:
        """One capture; with the trace deferred, its trace request waits for `flush_traces`
        (an import requests its traces by jobs of JOB_DOCUMENTS). `written`: pages of it this
        process has just archived, by capture id (not read back)."""
        prepared = self.prepare(capture, written or {})
        try:
            return self.finish(prepared)
        finally:
            self.unsaved_counts.append(prepared.tally)
            if len(self.unsaved_counts) >= self.counts_every:
                self.flush_counts()

    def ingest_many(self, captures: Sequence[DocumentCapture]) -> list[Outcome | Exception]:
        """In order; a capture that raises is returned as its exception, and the others go on.
        Each capture is prepared while Redis runs the previous one's index scripts."""
        # In the same thread on purpose: preparing the next capture in another thread while
        # this one waited for Redis saved 0.4 ms of wall time a document and cost 1.7 ms more CPU.
        results: list[Outcome | Exception] = []
        ahead: dict[int, Prepared | Exception] = {}
        tallies: list[StageTally] = []
        try:
            for at, capture in enumerate(captures):
                current = ahead.pop(at) if at in ahead else _attempt(self.prepare, capture)
                aside = None
                if at + 1 < len(captures):
                    aside = functools.partial(self._prepare_into, ahead, at + 1, captures[at + 1])
                if isinstance(current, Exception):
                    results.append(current)
                else:
                    tallies.append(current.tally)
                    results.append(_attempt(self.finish, current, aside))
        finally:
            # the job's counters in one call: per document, they cost 0.2 ms of its ~10 (lost
            # with the job's worker, as the job is then retried)
            self.store.count_many(summed(tallies))
        self.flush_traces()
        return results

    def flush_traces(self) -> int:
        """Enqueue the trace jobs of the documents clustered with their trace deferred."""
        requests, self.trace_requests = self.trace_requests, []
        return enqueue_traces(self.queues, requests)

    def _prepare_into(
        self, ahead: dict[int, Prepared | Exception], at: int, capture: DocumentCapture
    ) -> None:
        ahead[at] = _attempt(self.prepare, capture)

    def prepare(self, capture: DocumentCapture, written: Mapping[str, Page] | None = None) -> Prepared:
        """Read, extract, normalize: the stages that touch the archive, never Redis."""
        meta, tally = _capture_meta(capture), StageTally()
        try:
            extraction = self._extract(capture, tally, written or {})
            with tally.stage("normalize"):
                norm = normalize(extraction, self.config.norm)
            return Prepared(_with_extraction(meta, extraction), tally, norm)
        except Rejected as rejected:
            return Prepared(meta, tally, rejected)

    def finish(self, prepared: Prepared, aside: Callable[[], None] | None = None) -> Outcome:
        """Index, align and store a prepared capture, or record its rejection; `aside` (another
        capture's preparation, no Redis call of its own) runs while Redis runs the index
        scripts. Its counters are the caller's to write."""
        trips = RoundTrips(self.connection, prepared.tally, aside)
        try:
            if isinstance(prepared.text, Rejected):
                raise prepared.text
            return self._ingest(prepared.meta, prepared.text, trips)
        except Rejected as rejected:
            return self._reject(prepared.meta, rejected, prepared.tally)

    def _extract(
        self, capture: DocumentCapture, tally: StageTally, written: Mapping[str, Page]
    ) -> Extraction:
        if not capture.pages:
            raise Rejected(RejectReason.NO_PAGES, "the capture names no archived page")
        with tally.stage("read"):
            pages = [written.get(ref.capture_id) or self._read(ref) for ref in capture.pages]
        with tally.stage("extract"):
            extracted: list[Extraction] = []
            for page in pages:
                try:
                    extracted.append(_extract_page(page))
                except Rejected as rejected:  # one bad page of many: keep the others, count it
                    tally.count("page_rejected", rejected.reason)
            if not extracted:
                return _extract_page(pages[0])  # raises the first page's reason
            return join_pages(extracted) if len(extracted) > 1 else extracted[0]

    def _read(self, ref: CaptureRef) -> Page:
        try:
            return read_page(self.warc_dir, ref)
        except WarcReadError as exc:
            raise Rejected(RejectReason.UNREADABLE_CAPTURE, str(exc)) from exc

    def _ingest(self, meta: DocumentMeta, norm: NormalizedText, trips: RoundTrips) -> Outcome:
        """DESIGN.md's flow from the normalized text on, a stage a line (the round trips'
        overlapping work: workers.flow.round_trips)."""
        doc_id, tally = document_id(meta.url), trips.tally
        fp = self._fingerprint(doc_id, norm, tally)
        index_calls = trips.early(functools.partial(self._index_calls, doc_id, norm, fp))
        record = self._record(doc_id, meta, norm, fp)
        saved, first = self._save(record, fp, trips)
        if saved.doc is None:  # unchanged, or captured before the document was deleted
            return self._kept(meta.input_id, record, saved, tally)
        sharing, found = self._index(*index_calls(), trips)
        verified = self._verify(fp, first, found, tally)
        near = self.clusters.neighbours(verified, found)
        doc, input_id = saved.doc, meta.input_id
        if self.defer_trace:
            cluster_id = self._cluster_only(doc, input_id, verified, near, trips)
        else:
            cluster_id = self._cluster_and_trace(doc, norm, input_id, verified, near, sharing, trips)
        return self._indexed(meta, norm, cluster_id, tally)

    def _cluster_and_trace(
        self,
        doc: StoredDocument,
        norm: NormalizedText,
        input_id: str,
        verified: Verified,
        near: Near,
        sharing: tuple[tuple[str, int], ...],
        trips: RoundTrips,
    ) -> str:
        """Inline: the merge, the pair links (dedup.pair_rule) and the sources' witnesses in one
        round trip, then the trace."""
        own = trips.early(functools.partial(prepare, norm, self.config.align))
        known = _known(doc.doc_id, [other for other, _ in near], sharing)
        reads = (self._witnesses(known), self._link_call(doc, verified, near))
        assignment, [(witnesses, hashes), linked] = self._cluster(doc, verified, trips, *reads)
        clustered = replace(doc, cluster_id=assignment.cluster_id)
        tracing = Tracing(clustered, norm, _linked(doc, linked), sharing)
        aligned = self._sources(tracing, witnesses, hashes, own(), trips.tally)
        traced = self._trace(tracing.doc, aligned or {}, witnesses, trips.tally)
        self._mark(tracing.doc, input_id, traced)
        return assignment.cluster_id

    def _cluster_only(
        self, doc: StoredDocument, input_id: str, verified: Verified, near: Near, trips: RoundTrips
    ) -> str:
        """Deferred: the merge, the pair links and the mark (which reads the cluster the merge
        made) in the same round trip; the document waits for its trace with the neighbours the
        pair rule links it with (marked again when they are fewer than its neighbours)."""
        def mark(neighbours: tuple[str, ...], cluster_id: str = "") -> Call[str | None]:
            deferred, base = (neighbours, doc.content_hash), self.clusters.base
            return self.store.mark_indexed_call(doc.doc_id, input_id, cluster_id, 0.0, 0, base, deferred)

        neighbours = tuple(other for other, _ in near)
        reads = (self._link_call(doc, verified, near), mark(neighbours))
        assignment, [linked, marked] = self._cluster(doc, verified, trips, *reads)
        resettled = [e.b for e in assignment.edges] != [e.b for e in verified.edges]  # by `settle`
        if not marked or resettled or set(_linked(doc, linked)) != set(neighbours):
            marked = run_call(self.connection, mark(_linked(doc, linked), assignment.cluster_id))
        if marked is None:
            raise ConcurrentChange(f"{doc.doc_id} was saved with another text meanwhile")
        self._request_trace(doc.doc_id, doc.content_hash)
        return assignment.cluster_id

    def _request_trace(self, doc_id: str, content_hash: str) -> None:
        self.trace_requests.append(TraceRequest(doc_id, content_hash))
        if len(self.trace_requests) >= JOB_DOCUMENTS:
            self.flush_traces()

    def trace_many(self, requests: Sequence[TraceRequest]) -> list[str | Exception]:
        """Deferred traces, in order: `traced`, `stale` (changed, deleted or traced since), or
        the exception one raised (the others go on)."""
        tallies = [StageTally() for _ in requests]
        try:
            return [_attempt(self.trace_one, r, t) for r, t in zip(requests, tallies, strict=True)]
        finally:
            self.store.count_many(summed(tallies))

    def trace_one(self, request: TraceRequest, tally: StageTally) -> str:
        """The stages the clustering left: passage index, the sources' witnesses (the text's
        seed table built meanwhile), alignment, trace; only for the text it was requested for."""
        try:
            doc = self._waiting(request, tally)
        except TextUnavailable as exc:  # left untraced, counted: not a job failing on every retry
            logger.warning("trace left waiting: %s", exc)
            return self._counted(TraceStatus.UNREADABLE, tally)
        if doc is None:
            return self._counted(TraceStatus.STALE, tally)
        trips, norm = RoundTrips(self.connection, tally), doc.norm()
        own = trips.early(functools.partial(prepare, norm, self.config.align))
        sharing, _ = self._index(self.passages.add_call(doc.doc_id, norm), None, trips)
        tracing = Tracing(doc, norm, doc.trace_after or (), sharing)
        [(witnesses, hashes)] = trips.send([self._witnesses(_known(doc.doc_id, tracing.neighbours, sharing))])
        aligned = self._sources(tracing, witnesses, hashes, own(), tally, guarded=True)
        traced = None if aligned is None else self._trace(doc, aligned, witnesses, tally)
        if traced is not None and self._mark_traced(doc, traced):
            return self._counted(TraceStatus.TRACED, tally)
        self._unindex_stale(doc.doc_id, norm)  # changed or deleted meanwhile (a new text: its own request)
        return self._counted(TraceStatus.STALE, tally)

    def _mark_traced(self, doc: StoredDocument, traced: Trace) -> bool:
        return self.store.mark_traced(doc.doc_id, doc.content_hash, traced.reuse_ratio, len(traced.sources))

    def _unindex_stale(self, doc_id: str, norm: NormalizedText) -> None:
        """The passages this trace added for a text the document no longer holds, when no newer
        text of it can be in the passage index yet (it is gone, or its new text waits for its
        own trace); else they stay (extra candidates, aligned against the text it holds)."""
        now = self.store.get(doc_id)
        if now is None or now.untraced:
            self.passages.remove(doc_id, norm)

    def _waiting(self, request: TraceRequest, tally: StageTally) -> StoredDocument | None:
        """The document, if it still holds the requested text and waits for its trace."""
        with tally.stage("read"):
            doc = self.store.get(request.doc_id)
        if doc is None or doc.content_hash != request.content_hash or not doc.untraced:
            return None
        return doc

    @staticmethod
    def _counted(status: str, tally: StageTally) -> str:
        tally.count("traced", status)
        return status

    def _fingerprint(self, doc_id: str, norm: NormalizedText, tally: StageTally) -> Fingerprint:
        with tally.stage("fingerprint"):
            return fingerprint(doc_id, norm.key, norm.norm_version, self.config.fingerprint)

    def _index_calls(
        self, doc_id: str, norm: NormalizedText, fp: Fingerprint
    ) -> tuple[Call[list[tuple[str, int]]] | None, Call[list[Candidate]]]:
        """The passage index add (none when the trace is deferred: only tracing needs it) and
        the LSH index add (winnowing, packing: ~0.3 ms; a save ~0.1)."""
        passages = None if self.defer_trace else self.passages.add_call(doc_id, norm)
        return passages, self.clusters.index.add_call(fp)

    def _save(self, record: StoredDocument, fp: Fingerprint, trips: RoundTrips) -> tuple[Saved, str]:
        """Save the record (state pending) and claim its match key, in one round trip; the
        page's old text, when it changed, leaves every index first."""
        record_key = self.store.keys.doc(record.doc_id)
        calls: list[Call[Any]] = [self.store.save_new_call(record), self.clusters.claim_call(fp, record_key)]
        saved, first = trips.send(calls)
        if saved.other:
            existing = self.store.get(record.doc_id)
            if existing:
                self.indexes.forget(existing)
            saved, first = trips.send(calls)
            if saved.other:
                raise ConcurrentChange(f"{record.doc_id} was saved with another text meanwhile")
            return saved, claimed(first, record.doc_id) if saved.doc else ""  # its old text forgotten
        return saved, self.clusters.first_claimed(fp, first, record_key) if saved.doc else ""

    def _kept(self, input_id: str, record: StoredDocument, saved: Saved, tally: StageTally) -> Outcome:
        """Unchanged, or deleted; a document still waiting for its trace is requested again (its
        request may have been lost with the process that clustered it)."""
        if saved.untraced:
            self._request_trace(record.doc_id, record.content_hash)
        status = IngestStatus.DELETED if saved.deleted else IngestStatus.UNCHANGED
        tally.count("outcome", status)
        return Outcome(input_id, status, record.doc_id, saved.cluster_id)

    def _index(
        self,
        passages: Call[list[tuple[str, int]]] | None,
        lsh: Call[list[Candidate]] | None,
        trips: RoundTrips,
    ) -> tuple[tuple[tuple[str, int], ...], list[Candidate]]:
        """The document into the passage and LSH indexes (those given) and what they hold like
        it, in one round trip. An exact copy enters the LSH index too: if the first with its
        match key goes, it must still be found (its edges are the one to that first, see
        ClusterStore.verify)."""
        calls = [call for call in (passages, lsh) if call is not None]
        with trips.tally.stage("index"):
            replies = iter(trips.send(calls, long=True))
        return tuple(next(replies) if passages else ()), next(replies) if lsh else []

    def _verify(self, fp: Fingerprint, first: str, found: Sequence[Candidate], tally: StageTally) -> Verified:
        with tally.stage("cluster"):
            return self.clusters.verify(fp, first, found)

    def _cluster(
        self, doc: StoredDocument, verified: Verified, trips: RoundTrips, *reads: Call[Any]
    ) -> tuple[ClusterAssignment, list[Any]]:
        """Merge the document's clusters (atomically, cluster_merge.lua), with `reads` in the
        same round trip; their results."""
        with trips.tally.stage("cluster"):
            published = doc.published or _day(doc.fetched_at)
            merge = self.clusters.merge_call(verified, published, len(doc.display))
            assignment, *found = trips.send([merge, *reads])
            settled = self.clusters.settle(assignment, verified, published, len(doc.display))
        return settled, found

    def _witnesses(self, doc_ids: Sequence[str]) -> Call[tuple[dict[str, Witness], dict[str, str]]]:
        return self.store.witnesses_and_hashes_call(doc_ids)

    def _link_call(self, doc: StoredDocument, verified: Verified, near: Near) -> Call[list[str] | None]:
        """The document's pair links (workers.stores.pair_links): the neighbours it is to be aligned
        with now; the others the rule links it with are settled later (workers.flow.relink)."""
        return self.store.links.add_call(self.clusters.signatures, doc.doc_id, verified.digest, near)

    def _sources(
        self,
        tracing: Tracing,
        witnesses: Mapping[str, Witness],
        hashes: Mapping[str, str],
        own: KeyIndex,
        tally: StageTally,
        guarded: bool = False,
    ) -> dict[str, list[Alignment]] | None:
        """Align the document with its likely sources and save the pairs; every alignment of
        the document as stored now (`guarded`: None, nothing saved, if its text changed)."""
        doc = tracing.doc
        with tally.stage("align"):
            candidates = self._candidates(witnesses, tracing.neighbours, tracing.sharing)
            prepared, used = self._prepared({c: hashes[c] for c in candidates}, tally)
            new = self._align(doc.doc_id, own, prepared)
            guard = doc.content_hash if guarded else ""
            aligned = self.store.save_alignments(doc.doc_id, new, used, guard, origin=doc)
            # a later document of this worker may align with it: its text is not read back
            self.candidate_cache.put(doc.doc_id, doc.content_hash, own)
        return aligned

    def _trace(
        self,
        doc: StoredDocument,
        aligned: Mapping[str, list[Alignment]],
        witnesses: Mapping[str, Witness],
        tally: StageTally,
    ) -> Trace:
        with tally.stage("trace"):
            aligned_with = self.store.with_witnesses(aligned, witnesses)
            return trace(doc.witness, len(doc.display), aligned_with, self.config.boilerplate)

    def _mark(self, doc: StoredDocument, input_id: str, traced: Trace) -> None:
        ratio, sources, base = traced.reuse_ratio, len(traced.sources), self.clusters.base
        mark = self.store.mark_indexed_call(doc.doc_id, input_id, doc.cluster_id or "", ratio, sources, base)
        run_call(self.connection, mark)

    def _indexed(
        self, meta: DocumentMeta, norm: NormalizedText, cluster_id: str, tally: StageTally
    ) -> Outcome:
        tally.count("outcome", IngestStatus.INDEXED)
        for removal in norm.removed:
            tally.count("removed", removal.reason)
        for untrusted in meta.published_untrusted:
            tally.count("date_untrusted", untrusted.reason)
        return Outcome(meta.input_id, IngestStatus.INDEXED, document_id(meta.url), cluster_id)

    @staticmethod
    def _candidates(
        witnesses: Mapping[str, Witness], linked: Sequence[str], sharing: Sequence[tuple[str, int]]
    ) -> list[str]:
        """The neighbours the pair rule links it with (likely sources) and every passage sharer:
        a document reusing one paragraph each of many sources shares little with each of them."""
        chosen = sorted(other for other in linked if other in witnesses)
        chosen += sorted(other for other, _ in sharing if other in witnesses)
        return list(dict.fromkeys(chosen))

    def _align(
        self, doc_id: str, own: KeyIndex, prepared: Mapping[str, SeedTable]
    ) -> dict[str, tuple[Alignment, ...]]:
        """Each pair aligned the same way whichever came first: the smaller id on side a (an
        alignment is not quite symmetric), so the stored alignments, and the provenance traced
        from them, do not depend on the ingest order."""
        after = [other for other in prepared if other > doc_id]
        ahead = align_prepared_many(own, [prepared[o] for o in after], self.config.align)
        found = dict(zip(after, ahead, strict=True))
        before = [other for other in prepared if other < doc_id]
        behind = align_prepared_against([prepared[o] for o in before], own, self.config.align)
        for other, theirs in zip(before, behind, strict=True):
            found[other] = tuple(a.swapped() for a in theirs)
        return {other: alignments for other, alignments in found.items() if alignments}

    def _prepared(
        self, content_hashes: Mapping[str, str], tally: StageTally
    ) -> tuple[dict[str, SeedTable], dict[str, str]]:
        """Candidates' seed tables, from the cache when their content hash still matches, and
        the content hash each was prepared from (a pair is saved only while it holds). A
        candidate whose archived text is unreadable is left out, counted."""
        cache = self.candidate_cache
        found = {d: cache.get(d, h) for d, h in content_hashes.items()}
        used = {d: h for d, h in content_hashes.items() if found[d] is not None}
        missing = [doc_id for doc_id, index in found.items() if index is None]
        unreadable = functools.partial(_count_unreadable, tally)
        read = self.store.norms(missing, unreadable) if missing else {}
        for doc_id, (content_hash, text) in read.items():
            found[doc_id] = cache.put(doc_id, content_hash, prepare(text, self.config.align))
            used[doc_id] = content_hash
        return {d: k for d, k in found.items() if k is not None}, used

    def _record(
        self,
        doc_id: str,
        meta: DocumentMeta,
        norm: NormalizedText,
        fp: Fingerprint,
    ) -> StoredDocument:
        return StoredDocument(
            doc_id=doc_id,
            url=meta.url,
            final_url=meta.final_url,
            site=meta.site,
            site_kind=meta.site_kind,
            source=meta.source,
            title=norm.title or meta.title,
            published=meta.published,
            published_from=meta.published_from,
            published_untrusted=meta.published_untrusted,
            fetched_at=meta.fetched_at,
            captures=meta.captures,
            display=norm.display,
            original=norm.original,
            removed=norm.removed,
            truncated=norm.truncated,
            extractor=meta.extractor,
            norm_version=norm.norm_version,
            fingerprint_id=fp.fingerprint_id,
            key_hash=fp.key_hash,
            content_hash=self._content_hash(norm),
        )

    def _content_hash(self, norm: NormalizedText) -> str:
        material = "\n".join((self.config.fingerprint_id, norm.display))
        return hashlib.sha1(material.encode("utf-8")).hexdigest()  # noqa: S324 - identity

    def _reject(self, meta: DocumentMeta, rejected: Rejected, tally: StageTally) -> Outcome:
        stage = tally.last_stage()
        self.store.reject(Rejection(meta.input_id, meta.url, stage, rejected.reason, rejected.detail[:500]))
        tally.count("outcome", IngestStatus.REJECTED)
        return Outcome(meta.input_id, IngestStatus.REJECTED, reason=rejected.reason)


def _known(doc_id: str, neighbours: Sequence[str], sharing: Sequence[tuple[str, int]]) -> list[str]:
    """The documents whose witnesses a trace reads: neighbours, then passage sharers."""
    others = [*neighbours, *(other for other, _ in sharing)]
    return [o for o in dict.fromkeys(others) if o != doc_id]


def _count_unreadable(tally: StageTally, exc: TextUnavailable) -> None:
    logger.warning("candidate left out: %s", exc)
    tally.count("candidate_left_out", RejectReason.UNREADABLE_TEXT)


def _linked(doc: StoredDocument, linked: Sequence[str] | None) -> tuple[str, ...]:
    if linked is None:
        raise ConcurrentChange(f"{doc.doc_id} was forgotten while it was being linked")
    return tuple(linked)


def _extract_page(page: Page) -> Extraction:
    if page.header("Content-Type") == IMPORT_RECORD:
        return ImportRecord.from_json(page.body).extraction(page.capture_id)
    return extract(page)


def _capture_meta(capture: DocumentCapture) -> DocumentMeta:
    first = capture.pages[0] if capture.pages else None
    return DocumentMeta(
        input_id=ingest_job_id(capture),
        url=capture.doc_url,
        final_url=first.url if first else capture.doc_url,
        site=capture.site or urlsplit(capture.doc_url).hostname or "",
        site_kind=capture.site_kind,
        source="import" if capture.site_kind == "import" else "crawl",
        fetched_at=first.fetched_at if first else None,
        captures=tuple(page.to_dict() for page in capture.pages),
    )


def _with_extraction(meta: DocumentMeta, extraction: Extraction) -> DocumentMeta:
    """The extraction's title and path, and its strongest date not after the capture."""
    dated = choose(_date_evidence(extraction), meta.fetched_at)
    return replace(
        meta,
        title=extraction.title,
        published=dated.day,
        published_from=dated.evidence,
        published_untrusted=dated.untrusted,
        extractor=extraction.extractor,
    )


def _date_evidence(extraction: Extraction) -> tuple[DateEvidence, ...]:
    """The dates found, strongest first; a date set without any (an import's) was given."""
    if extraction.dates or extraction.published is None:
        return extraction.dates
    return (DateEvidence(extraction.published, GIVEN),)


def _day(when: datetime | None) -> date | None:
    return when.date() if when else None


def _attempt(stage: Callable[..., T], *args: Any) -> T | Exception:
    """The stage's result, or the exception it raised (a job timeout is raised)."""
    try:
        return stage(*args)
    except JobTimeoutException:
        raise
    except Exception as exc:  # the job raises it once the others were tried
        return exc
