"""One document as the UI and the API show it: metadata, text, traced spans, one source side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dedup.align import Alignment, align
from dedup.dates import untrusted_label
from dedup.provenance import PROVENANCE_VERSION, Evidence, Trace
from workers.read.catalog import Catalog, DocSummary, summary_of
from workers.read.highlight import Ranges, difference, span_differences, span_json
from workers.stores.store import StoredDocument


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    url: str
    final_url: str
    site: str
    site_kind: str
    source: str
    title: str | None
    published: date | None
    published_from: str  # the date's evidence (dedup.dates.EVIDENCE)
    published_untrusted: list[str]  # dates found but not trusted, and why
    fetched_at: datetime | None
    state: str
    truncated: bool
    extractor: str
    versions: dict[str, str]
    cluster_id: str | None
    cluster_size: int
    representative: str | None
    reuse_ratio: float
    sources: list[DocSummary]
    captures: list[dict[str, Any]]
    text: str
    spans: list[dict[str, Any]]
    first_here: list[dict[str, Any]]
    boilerplate: list[list[int]]
    removed: list[dict[str, str]]
    traced: bool = True  # False: clustered, its alignment and provenance still queued (deferred)


@dataclass(frozen=True, slots=True)
class AlignedPair:
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    similarity: float
    a_differs: list[list[int]]  # [start, end) ranges of side a that side b does not have
    b_differs: list[list[int]]


@dataclass(frozen=True, slots=True)
class Comparison:
    document: DocSummary
    source: DocSummary
    document_text: str
    source_text: str
    alignments: list[AlignedPair]
    stored: bool = True  # False: no alignment of the pair was stored, these were computed for the view


def document_view(
    catalog: Catalog, doc: StoredDocument, traced: Trace, differs: list[Ranges] | None = None
) -> DocumentView:
    """The document as shown; `differs[i]`: the characters of span i that differ from its source."""
    info = catalog.cluster_of(doc)
    spans = [span_json(s) for s in traced.spans]
    for span, ranges in zip(spans, differs or [], strict=False):
        span["differs"] = [list(r) for r in ranges]
    found = catalog.summaries(list(traced.sources))
    return DocumentView(
        id=doc.doc_id, url=doc.url, final_url=doc.final_url, site=doc.site, site_kind=doc.site_kind,
        source=doc.source, title=doc.title, published=doc.published, fetched_at=doc.fetched_at,
        published_from=doc.published_from,
        published_untrusted=[untrusted_label(u) for u in doc.published_untrusted],
        state=doc.state, truncated=doc.truncated, extractor=doc.extractor,
        versions=versions(doc),
        cluster_id=info.cluster_id if info else None,
        cluster_size=info.size if info else 1,
        representative=info.representative if info else None,
        reuse_ratio=round(traced.reuse_ratio, 4),
        sources=[found[s] for s in traced.sources if s in found],
        captures=[dict(c) for c in doc.captures],
        text=doc.display,
        spans=spans,
        first_here=[span_json(s) for s in traced.first_here],
        boilerplate=[[s, e] for s, e in traced.boilerplate],
        removed=[{"reason": r.reason, "text": r.text} for r in doc.removed],
        traced=not doc.untraced,
    )


def full_view(catalog: Catalog, doc: StoredDocument) -> tuple[DocumentView, Trace, list[Ranges]]:
    """The document's view with its trace and each reused span's characters that differ."""
    evidence = catalog.store.alignments(doc.doc_id)
    traced = catalog.trace(doc, evidence)
    differs = differences(catalog, doc, traced, evidence)
    return document_view(catalog, doc, traced, differs), traced, differs


def versions(doc: StoredDocument) -> dict[str, str]:
    return {"norm": doc.norm_version, "fingerprint": doc.fingerprint_id, "provenance": PROVENANCE_VERSION}


def compare(
    catalog: Catalog, doc: StoredDocument, source: StoredDocument
) -> tuple[Comparison, list[Alignment]]:
    """The document and one other witness with the alignments between them (doc on side a):
    the stored ones, else (a pair the ingest never aligned) aligned now with the same settings."""
    stored = [al for w, al in catalog.store.alignments(doc.doc_id) if w.doc_id == source.doc_id]
    found = stored or list(align(doc.norm(), source.norm(), catalog.engine.align))
    pairs = sorted(found, key=lambda al: (al.a_start, al.b_start))
    view = Comparison(
        summary_of(doc), summary_of(source), doc.display, source.display,
        [aligned_pair(doc.display, source.display, a) for a in pairs], stored=bool(stored) or not pairs,
    )
    return view, pairs


def aligned_pair(a_text: str, b_text: str, al: Alignment) -> AlignedPair:
    d = difference(a_text, b_text, al)
    return AlignedPair(al.a_start, al.a_end, al.b_start, al.b_end, round(al.similarity, 4),
                       [list(r) for r in d.a], [list(r) for r in d.b])


def differences(
    catalog: Catalog, doc: StoredDocument, traced: Trace, evidence: list[Evidence]
) -> list[Ranges]:
    """Each reused span's characters that differ from its source (reads the sources' texts)."""
    texts = {d.doc_id: d.display for d in catalog.store.get_many(list(traced.sources)) if d is not None}
    pairs = [(w.doc_id, al) for w, al in evidence]
    return span_differences(doc.display, traced.spans, pairs, texts)
