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
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from rq.timeouts import JobTimeoutException

from crawler.capture import CaptureRef, DocumentCapture
from crawler.errors import WarcReadError
from crawler.warc import read_page
from dedup.align import (
    DEFAULT_ALIGN,
    AlignConfig,
    Alignment,
    KeyIndex,
    align_many,
    align_prepared_many,
    prepare,
)
from dedup.dates import GIVEN, DateEvidence, UntrustedDate, choose
from dedup.errors import Rejected
from dedup.extract import extract
from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint
from dedup.normalize import DEFAULT_NORM, NormConfig, join_pages, normalize
from dedup.provenance import Witness, trace
from dedup.records import Extraction, NormalizedText, Page, Rejection
from workers.candidate_cache import CandidateCache
from workers.cluster_store import ClusterConfig, ClusterStore, Verified, claimed
from workers.direct_connection import Call, round_trip, run_call
from workers.errors import ConcurrentChange
from workers.handoff import ingest_job_id
from workers.imports import IMPORT_RECORD, ImportRecord
from workers.keys import Keys, url_hash
from workers.pair_links import Near
from workers.passage_index import PassageIndex
from workers.store import Saved, Store, StoredDocument
from workers.transitions import DocumentIndexes

INDEXED_OUTCOME, UNCHANGED, REJECTED, DELETED = "indexed", "unchanged", "rejected", "deleted"
T = TypeVar("T")
_WARM_UP_PAGE = (
    "<html><head><title>會議講話</title></head><body><article><p>"
    + "同志們：今天我們召開全市2019年度教育工作會議，主要任務是回顧總結(zǒng jié)工作。" * 12
    + "</p></article></body></html>"
).encode()


@dataclass(frozen=True, slots=True)
class IngestConfig:
    norm: NormConfig = DEFAULT_NORM
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    align: AlignConfig = DEFAULT_ALIGN
    # aligned against: what dedup.pair_rule links a document with, judged at its arrival (its
    # earliest neighbours and those it is among the earliest of; every document sharing passages)
    cached_candidates: int = 256  # prepared candidate texts a worker process keeps (~100 KB each)

    @property
    def fingerprint_id(self) -> str:
        return self.fingerprint.id(self.norm.version)


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
    status: str
    doc_id: str | None = None
    cluster_id: str | None = None
    reason: str = ""


def document_id(url: str) -> str:
    return url_hash(url)[:20]


class _Tally:
    """One document's stage timings (ms) and counts, written to Redis once at its end (a
    job's, once at the job's end)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.counts: dict[str, dict[str, float]] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.timings.setdefault(name, 0.0)  # the stage a rejection is charged to
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += (time.perf_counter() - started) * 1000

    def count(self, stat: str, name: str) -> None:
        by_name = self.counts.setdefault(stat, {})
        by_name[name] = by_name.get(name, 0) + 1

    def last_stage(self) -> str:
        return next(reversed(self.timings), "read")

    def excluding(self, work: Callable[[], None]) -> Callable[[], None]:
        """`work` run inside the current stage without being charged to it."""
        stage = self.last_stage()

        def run() -> None:
            started = time.perf_counter()
            try:
                work()
            finally:
                self.timings[stage] -= (time.perf_counter() - started) * 1000

        return run

    def flat(self) -> dict[str, dict[str, float]]:
        return {**self.counts, "stage_ms": self.timings, "stage_runs": dict.fromkeys(self.timings, 1)}


def _summed(tallies: Sequence[_Tally]) -> dict[str, dict[str, float]]:
    total: dict[str, dict[str, float]] = {}
    for tally in tallies:
        for stat, by_name in tally.flat().items():
            into = total.setdefault(stat, {})
            for name, amount in by_name.items():
                into[name] = into.get(name, 0) + amount
    return total


@dataclass(frozen=True, slots=True)
class Prepared:
    """A capture through the stages that need no Redis (read, extract, normalize): its
    normalized text, or why it was rejected."""

    meta: DocumentMeta
    tally: _Tally
    text: NormalizedText | Rejected


class Ingestor:
    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        warc_dir: Path,
        config: IngestConfig | None = None,
    ) -> None:
        self.config = config or IngestConfig()
        self.connection = connection
        self.store = Store(connection, keys, self.config.align.version)
        self.clusters = ClusterStore(connection, keys, ClusterConfig(self.config.fingerprint_id))
        self.passages = PassageIndex(connection, keys, align_version=self.config.align.version)
        self.candidate_cache = CandidateCache(self.config.cached_candidates)
        self.indexes = DocumentIndexes(self.store, self.clusters, self.passages)
        self.warc_dir = warc_dir

    def warm_up(self) -> None:
        """Run the pure stages once so lazy caches (OpenCC, trafilatura, regexes) are built
        before a forking worker copies this process for every job."""
        page = Page("warm-up", "https://warm-up.invalid/", _WARM_UP_PAGE, (("Content-Type", "text/html"),))
        norm = normalize(extract(page), self.config.norm)
        fingerprint("warm-up", norm.key, norm.norm_version, self.config.fingerprint)
        align_many(norm, [norm], self.config.align)

    def ingest_capture(self, capture: DocumentCapture) -> Outcome:
        prepared = self.prepare(capture)
        try:
            return self.finish(prepared)
        finally:
            self.store.count_many(prepared.tally.flat())

    def ingest_many(self, captures: Sequence[DocumentCapture]) -> list[Outcome | Exception]:
        """In order; a capture that raises is returned as its exception, and the others go on.
        Each capture is prepared while Redis runs the previous one's index scripts."""
        # In the same thread on purpose: preparing the next capture in another thread while
        # this one waited for Redis saved 0.4 ms of wall time a document and cost 1.7 ms more CPU.
        results: list[Outcome | Exception] = []
        ahead: dict[int, Prepared | Exception] = {}
        tallies: list[_Tally] = []
        try:
            for at, capture in enumerate(captures):
                current = ahead.pop(at) if at in ahead else _attempt(self.prepare, capture)
                meanwhile = None
                if at + 1 < len(captures):
                    meanwhile = functools.partial(self._prepare_into, ahead, at + 1, captures[at + 1])
                if isinstance(current, Exception):
                    results.append(current)
                else:
                    tallies.append(current.tally)
                    results.append(_attempt(self.finish, current, meanwhile))
        finally:
            # the job's counters in one call: per document, they cost 0.2 ms of its ~10 (lost
            # with the job's worker, as the job is then retried)
            self.store.count_many(_summed(tallies))
        return results

    def _prepare_into(
        self, ahead: dict[int, Prepared | Exception], at: int, capture: DocumentCapture
    ) -> None:
        ahead[at] = _attempt(self.prepare, capture)

    def prepare(self, capture: DocumentCapture) -> Prepared:
        """Read, extract, normalize: the stages that touch the archive, never Redis."""
        meta, tally = _capture_meta(capture), _Tally()
        try:
            extraction = self._extract(capture, tally)
            with tally.stage("normalize"):
                norm = normalize(extraction, self.config.norm)
            return Prepared(_with_extraction(meta, extraction), tally, norm)
        except Rejected as rejected:
            return Prepared(meta, tally, rejected)

    def finish(self, prepared: Prepared, meanwhile: Callable[[], None] | None = None) -> Outcome:
        """Index, align and store a prepared capture, or record its rejection; `meanwhile`
        runs while Redis runs the index scripts (no Redis call of its own). Its counters are
        the caller's to write."""
        tally = prepared.tally
        try:
            if isinstance(prepared.text, Rejected):
                raise prepared.text
            return self._ingest(prepared.meta, prepared.text, tally, meanwhile)
        except Rejected as rejected:
            return self._reject(prepared.meta, rejected, tally)

    def _extract(self, capture: DocumentCapture, tally: _Tally) -> Extraction:
        if not capture.pages:
            raise Rejected("no_pages", "the capture names no archived page")
        with tally.stage("read"):
            pages = [self._read(ref) for ref in capture.pages]
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
            raise Rejected("unreadable_capture", str(exc)) from exc

    def _ingest(
        self, meta: DocumentMeta, norm: NormalizedText, tally: _Tally, meanwhile: Callable[[], None] | None
    ) -> Outcome:
        doc_id = document_id(meta.url)
        with tally.stage("fingerprint"):
            fp = fingerprint(doc_id, norm.key, norm.norm_version, self.config.fingerprint)

        @functools.cache  # built while the server saves (winnowing, packing: ~0.3 ms; the save ~0.1)
        def index_calls() -> list[Call[Any]]:
            return [self.passages.add_call(doc_id, norm), self.clusters.index.add_call(fp)]

        saved, first = self._save(self._record(doc_id, meta, norm, fp), fp, index_calls)
        if saved.doc is None:  # unchanged, or captured before the document was deleted
            status = DELETED if saved.deleted else UNCHANGED
            tally.count("outcome", status)
            return Outcome(meta.input_id, status, doc_id, saved.cluster_id)
        with tally.stage("index"):  # the LSH and passage indexes, in one round trip
            # an exact copy enters the LSH index too: if the first with its match key goes, it
            # must still be found (its edges are the one to that first, see ClusterStore.verify)
            aside = meanwhile and tally.excluding(meanwhile)
            sharing, found = round_trip(self.connection, index_calls(), aside)
        with tally.stage("cluster"):
            verified = self.clusters.verify(fp, first, found)
            near = self.clusters.neighbours(verified, found)
        cluster_id = self._link(saved.doc, meta.input_id, norm, verified, near, sharing, tally)
        tally.count("outcome", INDEXED_OUTCOME)
        for removal in norm.removed:
            tally.count("removed", removal.reason)
        for untrusted in meta.published_untrusted:
            tally.count("date_untrusted", untrusted.reason)
        return Outcome(meta.input_id, INDEXED_OUTCOME, doc_id, cluster_id)

    def _save(
        self, record: StoredDocument, fp: Fingerprint, meanwhile: Callable[[], object]
    ) -> tuple[Saved, str]:
        """Save the record (state pending) and claim its match key, in one round trip; the
        page's old text, when it changed, leaves every index first."""
        claim = self.clusters.claim_call(fp, self.store.keys.doc(record.doc_id))
        calls: list[Call[Any]] = [self.store.save_new_call(record), claim]
        saved, first = round_trip(self.connection, calls, meanwhile)
        if saved.other:
            existing = self.store.get(record.doc_id)
            if existing:
                self.indexes.forget(existing)
            saved, first = round_trip(self.connection, calls)
            if saved.other:
                raise ConcurrentChange(f"{record.doc_id} was saved with another text meanwhile")
        elif saved.doc and first is None:  # a key its old text held, whose record is gone
            self.clusters.remove(record.doc_id)
            first = run_call(self.connection, calls[1])
        return saved, claimed(first, record.doc_id) if saved.doc else ""

    def _link(
        self,
        doc: StoredDocument,
        input_id: str,
        norm: NormalizedText,
        verified: Verified,
        near: Near,
        sharing: Sequence[tuple[str, int]],
        tally: _Tally,
    ) -> str:
        """Merge the document's clusters, align it with its likely sources, trace its passages."""
        with tally.stage("cluster"):
            others = [other for other, _ in near] + [other for other, _ in sharing]
            known = [o for o in dict.fromkeys(others) if o != doc.doc_id]
            published = doc.published or _day(doc.fetched_at)
            merge = self.clusters.merge_call(verified, published, len(doc.display))
            found = self.store.witnesses_and_hashes_call(known)
            link = self.store.links.add_call(self.clusters.signatures, doc.doc_id, verified.digest, near)
            own = functools.cache(lambda: prepare(norm, self.config.align))  # while the server merges
            assignment, (witnesses, hashes), linked = round_trip(self.connection, [merge, found, link], own)
            assignment = self.clusters.settle(assignment, verified, published, len(doc.display))
            if linked is None:
                raise ConcurrentChange(f"{doc.doc_id} was forgotten while it was being linked")
        with tally.stage("align"):
            candidates = self._candidates(witnesses, linked, sharing)
            prepared, used = self._prepared({c: hashes[c] for c in candidates})
            new = self._align(doc.doc_id, own(), prepared)
            aligned = self.store.save_alignments(doc.doc_id, new, used)
            # a later document of this worker may align with it: its text is not read back
            self.candidate_cache.put(doc.doc_id, doc.content_hash, own())
        with tally.stage("trace"):
            traced = trace(doc.witness, len(doc.display), self.store.with_witnesses(aligned, witnesses))
        self.store.mark_indexed(
            doc.doc_id,
            input_id,
            assignment.cluster_id,
            traced.reuse_ratio,
            len(traced.sources),
            self.clusters.base,
        )
        return assignment.cluster_id

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
        self, doc_id: str, own: KeyIndex, prepared: Mapping[str, KeyIndex]
    ) -> dict[str, tuple[Alignment, ...]]:
        """Each pair aligned the same way whichever came first: the smaller id on side a (an
        alignment is not quite symmetric), so the stored alignments, and the provenance traced
        from them, do not depend on the ingest order."""
        after = [other for other in prepared if other > doc_id]
        ahead = align_prepared_many(own, [prepared[o] for o in after], self.config.align)
        found = dict(zip(after, ahead, strict=True))
        for other in prepared:
            if other < doc_id:
                (theirs,) = align_prepared_many(prepared[other], [own], self.config.align)
                found[other] = tuple(a.swapped() for a in theirs)
        return {other: alignments for other, alignments in found.items() if alignments}

    def _prepared(self, content_hashes: Mapping[str, str]) -> tuple[dict[str, KeyIndex], dict[str, str]]:
        """Candidates' seed tables, from the cache when their content hash still matches, and
        the content hash each was prepared from (a pair is saved only while it holds)."""
        cache = self.candidate_cache
        found = {d: cache.get(d, h) for d, h in content_hashes.items()}
        used = {d: h for d, h in content_hashes.items() if found[d] is not None}
        missing = [doc_id for doc_id, index in found.items() if index is None]
        for doc_id, (content_hash, text) in self.store.norms(missing).items():
            index = found[doc_id] = prepare(text, self.config.align)
            cache.put(doc_id, content_hash, index)
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

    def _reject(self, meta: DocumentMeta, rejected: Rejected, tally: _Tally) -> Outcome:
        stage = tally.last_stage()
        self.store.reject(Rejection(meta.input_id, meta.url, stage, rejected.reason, rejected.detail[:500]))
        tally.count("outcome", REJECTED)
        return Outcome(meta.input_id, REJECTED, reason=rejected.reason)


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
