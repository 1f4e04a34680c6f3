"""One document as the UI and the API show it: metadata, text, traced spans, one source side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dedup.align import Alignment
from dedup.dates import untrusted_label
from dedup.provenance import PROVENANCE_VERSION, Trace
from workers.store import StoredDocument
from workers.web.catalog import Catalog, DocSummary, summary_of
from workers.web.highlight import span_json


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


@dataclass(frozen=True, slots=True)
class AlignedPair:
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    similarity: float


@dataclass(frozen=True, slots=True)
class Comparison:
    document: DocSummary
    source: DocSummary
    document_text: str
    source_text: str
    alignments: list[AlignedPair]


def document_view(catalog: Catalog, doc: StoredDocument, traced: Trace) -> DocumentView:
    info = catalog.cluster_of(doc)
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
        spans=[span_json(s) for s in traced.spans],
        first_here=[span_json(s) for s in traced.first_here],
        boilerplate=[[s, e] for s, e in traced.boilerplate],
        removed=[{"reason": r.reason, "text": r.text} for r in doc.removed],
    )


def versions(doc: StoredDocument) -> dict[str, str]:
    return {"norm": doc.norm_version, "fingerprint": doc.fingerprint_id, "provenance": PROVENANCE_VERSION}


def compare(
    catalog: Catalog, doc: StoredDocument, source: StoredDocument
) -> tuple[Comparison, list[Alignment]]:
    """The document and one other witness with the alignments between them (doc on side a)."""
    pairs = sorted(
        (al for w, al in catalog.store.alignments(doc.doc_id) if w.doc_id == source.doc_id),
        key=lambda al: (al.a_start, al.b_start),
    )
    view = Comparison(
        summary_of(doc), summary_of(source), doc.display, source.display,
        [AlignedPair(a.a_start, a.a_end, a.b_start, a.b_end, round(a.similarity, 4)) for a in pairs],
    )
    return view, pairs
