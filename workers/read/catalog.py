"""The read side: documents, clusters, traces and the dashboard as plain records.

The web pages, the JSON API and the CLI views all read through `Catalog`, so they show the same
thing. Nothing here writes, and list views read only the short fields of a document (HMGET of
title/url/site/published), never its text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from crawler.queues import depths
from crawler.runs import RunStore
from dedup.provenance import Evidence, Trace, trace
from dedup.shingles import shingle_hashes
from dedup.slots import Template, template_slots
from workers.stores.cluster_store import ClusterInfo, ClusterOutline
from workers.stores.replies import text_of
from workers.stores.store import StoredDocument, site_of
from workers.stores.store_set import Stores

SUMMARY_FIELDS = ("url", "site", "title", "published", "published_from")  # (its key names the id)
SLOT_MEMBERS = 30  # template slots are computed against at most this many members


@dataclass(frozen=True, slots=True)
class DocSummary:
    id: str
    url: str
    site: str
    title: str | None
    published: date | None
    published_from: str = ""  # the date's evidence (dedup.dates.EVIDENCE)


@dataclass(frozen=True, slots=True)
class ClusterRow:
    id: str
    size: int
    representative: DocSummary
    sites: list[str]
    first: date | None
    last: date | None
    length: int = 0  # the representative's display characters
    reuse: float | None = None  # share of the representative's text traced to earlier sources
    similarity: tuple[float, float] | None = None  # lowest and highest Jaccard of its verified edges


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    url: str
    site: str
    title: str | None
    published: date | None
    jaccard: float
    containment: float
    representative: bool
    published_from: str = ""
    earliest: bool = False  # the first published (then first fetched) member


@dataclass(frozen=True, slots=True)
class SlotView:
    index: int
    text: str
    values: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class ClusterDetail:
    id: str
    size: int
    representative: str
    members: list[MemberRow]
    template: str
    slots: list[SlotView]
    slot_members: list[str]


@dataclass(frozen=True, slots=True)
class ClusterPage:
    total: int
    page: int
    per_page: int
    rows: list[ClusterRow]


def row_of(outline: ClusterOutline, found: dict[str, DocSummary], dates: list[date]) -> ClusterRow | None:
    """A cluster's list row from its outline, its members' summaries and their sorted dates."""
    rep = found.get(outline.info.representative)
    if rep is None:
        return None
    sites = sorted({found[m].site for m, _ in outline.members if m in found})
    first, last = (dates[0], dates[-1]) if dates else (None, None)
    return ClusterRow(outline.info.cluster_id, outline.info.size, rep, sites, first, last,
                      length=outline.info.representative_length)


def summary_of(doc: StoredDocument) -> DocSummary:
    return DocSummary(doc.doc_id, doc.url, doc.site, doc.title, doc.published, doc.published_from)


def similarity(a: str, b: str, ngram: int) -> tuple[float, float]:
    """Exact Jaccard and containment (|A∩B| / min) of two match keys' n-gram sets (the
    fingerprint's n, so they are what its MinHash estimates)."""
    ha, hb = shingle_hashes(a, ngram), shingle_hashes(b, ngram)
    if not len(ha) or not len(hb):
        return (1.0, 1.0) if a == b else (0.0, 0.0)
    common = len(np.intersect1d(ha, hb, assume_unique=True))
    return common / (len(ha) + len(hb) - common), common / min(len(ha), len(hb))


class Catalog:
    def __init__(self, stores: Stores) -> None:
        self.connection = stores.connection
        self.keys = stores.keys
        self.engine = stores.engine
        self.store = stores.documents
        self.clusters = stores.clusters
        self.queues = stores.queues  # crawl runs and RQ's queues
        self.runs = RunStore(stores.queues, stores.keys.prefix)

    # documents ----------------------------------------------------------------------------

    def summaries(self, doc_ids: list[str]) -> dict[str, DocSummary]:
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.hmget(self.keys.doc(doc_id), SUMMARY_FIELDS)
        found = {}
        for doc_id, values in zip(doc_ids, pipe.execute(), strict=True):
            if values[0] is not None:
                url, title, published, published_from = (text_of(values[i]) for i in (0, 2, 3, 4))
                site = site_of(values[1], url)
                found[doc_id] = DocSummary(doc_id, url, site, title or None, _date(published), published_from)
        return found

    def document(self, id_or_url: str) -> StoredDocument | None:
        return self.store.find(id_or_url)

    def trace(self, doc: StoredDocument, evidence: list[Evidence] | None = None) -> Trace:
        """The document's trace, from `evidence` (its stored alignments when not given)."""
        found = self.store.alignments(doc.doc_id) if evidence is None else evidence
        return trace(doc.witness, len(doc.display), found, self.engine.boilerplate)

    def cluster_of(self, doc: StoredDocument) -> ClusterInfo | None:
        cluster_id = self.clusters.cluster_of(doc.doc_id) or doc.cluster_id
        return self.clusters.cluster(cluster_id) if cluster_id else None

    # clusters -----------------------------------------------------------------------------

    def cluster_ids(self, min_size: int = 2, max_size: int = 0) -> list[str]:
        """Live cluster ids of `min_size` to `max_size` (0: any) members, largest first."""
        high = max_size if max_size else "+inf"
        rows = self.connection.zrevrangebyscore(self.keys.clusters, high, max(min_size, 1))
        return [text_of(r) for r in rows]

    def cluster_rows(self, cluster_ids: list[str], query: ClusterQuery | None = None) -> list[ClusterRow]:
        """The clusters' list rows (those `query` keeps), in three round trips however many
        (unknown ids left out); reuse and similarity are left for `with_reuse`/`with_similarity`."""
        outlines = [o for o in self.clusters.outlines(cluster_ids) if o is not None]
        found = self.summaries([doc_id for o in outlines for doc_id, _ in o.members])
        rows = []
        for outline in outlines:
            dates = sorted(d for _, d in outline.members if d)
            row = row_of(outline, found, dates)
            if row is not None and (query is None or query.keeps(row, dates)):
                rows.append(row)
        return rows

    def cluster_page(self, query: ClusterQuery) -> ClusterPage:
        """Sorted by size without filters, a page is read straight from the size index; other
        orders and filters need every cluster's row (short fields only, never texts), a reuse
        filter or order also every representative's alignments. The page's rows get their reuse
        and similarity last, so a page costs a few round trips however long the list."""
        if query.by_size_only:
            page = self._size_page(query)
        else:
            rows = self.cluster_rows(self.cluster_ids(query.min_size, query.max_size), query)
            if query.needs_reuse:
                rows = [r for r in self.with_reuse(rows) if (r.reuse or 0.0) >= query.min_reuse]
            rows.sort(key=query.sort_key, reverse=query.descending)
            start = (query.page - 1) * query.per_page
            page = ClusterPage(len(rows), query.page, query.per_page, rows[start : start + query.per_page])
        return replace(page, rows=self.with_similarity(self.with_reuse(page.rows)))

    def _size_page(self, query: ClusterQuery) -> ClusterPage:
        low, high = max(query.min_size, 1), query.max_size or "+inf"
        start = (query.page - 1) * query.per_page
        pipe = self.connection.pipeline(transaction=False)
        pipe.zcount(self.keys.clusters, low, high)
        if query.descending:
            pipe.zrevrangebyscore(self.keys.clusters, high, low, start, query.per_page)
        else:
            pipe.zrangebyscore(self.keys.clusters, low, high, start, query.per_page)
        total, ids = pipe.execute()
        rows = self.cluster_rows([text_of(i) for i in ids])
        return ClusterPage(int(total), query.page, query.per_page, rows)

    def with_reuse(self, rows: list[ClusterRow]) -> list[ClusterRow]:
        """Rows with their representative's reuse, traced afresh from its stored alignments (the
        reuse stored at ingest is not updated when an earlier source arrives later)."""
        wanted = [r.representative.id for r in rows if r.reuse is None]
        evidence = self.store.evidence_many(wanted) if wanted else {}
        out = []
        for row in rows:
            known = evidence.get(row.representative.id)
            if row.reuse is None and known is not None:
                ratio = 0.0
                if row.length:
                    ratio = trace(known[0], row.length, known[1], self.engine.boilerplate).reuse_ratio
                row = replace(row, reuse=round(ratio, 4))
            out.append(row)
        return out

    def with_similarity(self, rows: list[ClusterRow]) -> list[ClusterRow]:
        """Rows with their cluster's lowest and highest verified edge Jaccard (one round trip)."""
        found = self.clusters.similarities([r.id for r in rows])
        return [replace(row, similarity=pair) for row, pair in zip(rows, found, strict=True)]

    def members(self, info: ClusterInfo) -> list[MemberRow]:
        """Members with their exact similarity to the representative, representative first."""
        ids = [m.doc_id for m in self.clusters.members(info.cluster_id)]
        if len(ids) == 1:  # a singleton: no text needs reading
            return [MemberRow(s.id, s.url, s.site, s.title, s.published, 1.0, 1.0, True,
                              s.published_from, True)
                    for s in self.summaries(ids).values()]
        docs = {d.doc_id: d for d in self.store.get_many(ids) if d is not None}
        rep = docs.get(info.representative)
        rep_key = rep.norm().key if rep else ""
        first = min(docs.values(), key=lambda d: (d.witness.order, d.doc_id), default=None)
        rows, ngram = [], self.engine.fingerprint.ngram
        for doc in docs.values():
            j, c = similarity(rep_key, doc.norm().key, ngram) if doc is not rep else (1.0, 1.0)
            rows.append(MemberRow(doc.doc_id, doc.url, doc.site, doc.title, doc.published,
                                  round(j, 4), round(c, 4), doc is rep, doc.published_from, doc is first))
        rows.sort(key=lambda r: (not r.representative, -r.jaccard, r.id))
        return rows

    def cluster_detail(self, cluster_id: str) -> ClusterDetail | None:
        info = self.clusters.cluster(cluster_id)
        if info is None:
            return None
        members = self.members(info)
        template = self.template(info, [m.id for m in members if not m.representative][:SLOT_MEMBERS])
        slots = [SlotView(s.index, s.text, dict(s.values)) for s in template.slots] if template else []
        return ClusterDetail(
            info.cluster_id, info.size, info.representative, members,
            template.text if template else "", slots, list(template.members) if template else [],
        )

    def template(self, info: ClusterInfo, member_ids: list[str]) -> Template | None:
        docs = self.store.get_many([info.representative, *member_ids])
        rep, others = docs[0], [d for d in docs[1:] if d is not None]
        if rep is None or not others:
            return None
        return template_slots(rep.norm(), [(d.doc_id, d.norm()) for d in others])

    # dashboard ----------------------------------------------------------------------------

    def dashboard(self, runs: int = 10) -> Dashboard:
        run_ids = [text_of(r) for r in self.queues.zrevrange(self.keys.crawls, 0, runs - 1)]
        loaded = [self.runs.load(run_id) for run_id in run_ids]
        return Dashboard(
            runs=[r.to_dict() for r in loaded if r is not None],
            queues=depths(self.queues),
            documents=self.store.count_documents(),
            clusters=int(self.connection.zcount(self.keys.clusters, 2, "+inf")),
            singletons=int(self.connection.zcount(self.keys.clusters, 1, 1)),
            rejections=self.store.stats("rejected"),
            outcomes=self.store.stats("outcome"),
            removed=self.store.stats("removed"),
        )


@dataclass(frozen=True, slots=True)
class Dashboard:
    runs: list[dict[str, Any]]
    queues: dict[str, dict[str, int]]
    documents: int
    clusters: int
    singletons: int
    rejections: dict[str, float]
    outcomes: dict[str, float]
    removed: dict[str, float]


SORTS = ("size", "date", "title", "sites", "reuse")


@dataclass(frozen=True, slots=True)
class ClusterQuery:
    """What the clusters list shows: filters (size, site, title text, dates, reuse), sort, page."""

    min_size: int = 2
    max_size: int = 0  # 0: no upper bound
    site: str = ""
    text: str = ""
    since: date | None = None  # some member published on or after
    until: date | None = None  # some member published on or before (the same one when both)
    min_reuse: float = 0.0  # the representative's reuse ratio, 0..1
    sort: str = "size"
    descending: bool = True
    page: int = 1
    per_page: int = 50

    @property
    def by_size_only(self) -> bool:
        filtered = self.site or self.text or self.since or self.until or self.min_reuse
        return self.sort == "size" and not filtered

    @property
    def needs_reuse(self) -> bool:
        return self.min_reuse > 0 or self.sort == "reuse"

    def keeps(self, row: ClusterRow, dates: list[date]) -> bool:
        if self.site and self.site not in row.sites:
            return False
        if (self.since or self.until) and not any(self._in_range(d) for d in dates):
            return False
        title = (row.representative.title or "") + " " + row.representative.url
        return self.text.casefold() in title.casefold()

    def _in_range(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def sort_key(self, row: ClusterRow) -> tuple[Any, ...]:
        if self.sort == "date":
            return (row.first or date.min, row.id)
        if self.sort == "title":
            return (row.representative.title or "", row.id)
        if self.sort == "sites":
            return (len(row.sites), row.size, row.id)
        if self.sort == "reuse":
            return (row.reuse or 0.0, row.size, row.id)
        return (row.size, row.id)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
