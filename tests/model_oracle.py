"""The oracle of the model-based test: what the store must show for a set of documents, worked
out in memory by the pure engine (dedup/) from the documents alone, whatever order or history
brought them there.

Clusters are the connected components of the verified edges among the documents present (LSH
band sharing is a property of a pair, so any insertion order finds the same edges); a pair is
aligned when it has a verified edge or shares at least `MIN_SHARED` winnowed passage
fingerprints (workers.stores.passage_index's rule below its cuts), with the smaller doc id on side a;
provenance is `dedup.provenance.trace` over those alignments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import combinations
from typing import Any
from urllib.parse import urlsplit

from dedup.align import Alignment, align
from dedup.clusters import Member, MemoryClusterer, cluster_id, rank
from dedup.fingerprint import FingerprintConfig, fingerprint
from dedup.normalize import DEFAULT_NORM, normalize
from dedup.provenance import Trace, Witness, trace
from dedup.records import Extraction, NormalizedText
from dedup.winnow import winnow
from tests.ingest_rig import ClusterView

MIN_SHARED = 2  # workers.stores.passage_index.PassageIndex's default min_shared


@dataclass(frozen=True, slots=True)
class ModelDoc:
    url: str
    doc_id: str
    text: str
    published: date
    fetched_at: datetime

    def norm(self) -> NormalizedText:
        return normalize(Extraction(self.doc_id, self.url, self.text, extractor="import_text"), DEFAULT_NORM)

    @property
    def witness(self) -> Witness:
        site = urlsplit(self.url).hostname or ""
        return Witness(self.doc_id, self.url, site, self.published, self.fetched_at)


@dataclass(frozen=True, slots=True)
class Expected:
    clusters: set[ClusterView]
    export: list[dict[str, Any]]  # the compared fields of each export record, by id
    sources: dict[str, tuple[str, ...]]  # each document's traced sources, by URL


def expected(docs: Iterable[ModelDoc]) -> Expected:
    by_id = {d.doc_id: d for d in sorted(docs, key=lambda d: d.doc_id)}
    norms = {doc_id: d.norm() for doc_id, d in by_id.items()}
    config = FingerprintConfig()
    fpid = config.id(DEFAULT_NORM.version)
    clusterer = MemoryClusterer(fpid)
    for doc_id, norm in norms.items():
        fp = fingerprint(doc_id, norm.key, norm.norm_version, config)
        clusterer.assign(fp, by_id[doc_id].published, len(norm.display))
    groups: dict[str, list[str]] = {}
    for doc_id, label in clusterer.labels().items():
        groups.setdefault(label, []).append(doc_id)
    traces = _traces(by_id, norms, {(e.a, e.b) for e in clusterer.edges})
    url = {doc_id: d.url for doc_id, d in by_id.items()}
    clusters, export = set(), []
    for members in groups.values():
        rep = min((Member(m, by_id[m].published, len(norms[m].display)) for m in members), key=rank).doc_id
        clusters.add(ClusterView(frozenset(url[m] for m in members), len(members), url[rep]))
        export.append(_record(rep, cluster_id(fpid, members), sorted(url[m] for m in members), traces[rep]))
    sources = {url[d]: tuple(url[s] for s in t.sources) for d, t in traces.items()}
    return Expected(clusters, sorted(export, key=lambda r: r["id"]), sources)


def compared(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of an export record the oracle states."""
    sources = [(s["id"], [list(span) for span in s["spans"]]) for s in record["sources"]]
    names = ("id", "cluster_id", "cluster_size", "member_urls", "reuse_ratio")
    return {**{name: record[name] for name in names}, "sources": sources}


def _record(rep: str, cid: str, urls: list[str], traced: Trace) -> dict[str, Any]:
    sources: dict[str, list[list[int]]] = {}
    for span in traced.spans:
        spans = sources.setdefault(span.source.witness.doc_id, [])
        spans.append([span.start, span.end, span.source.start, span.source.end])
    return {
        "id": rep,
        "cluster_id": cid,
        "cluster_size": len(urls),
        "member_urls": urls,
        "reuse_ratio": round(traced.reuse_ratio, 6),
        "sources": list(sources.items()),
    }


def _traces(
    by_id: dict[str, ModelDoc], norms: dict[str, NormalizedText], edges: set[tuple[str, str]]
) -> dict[str, Trace]:
    passages = {doc_id: set(winnow(norm.key)) for doc_id, norm in norms.items()}
    evidence: dict[str, list[tuple[Witness, Alignment]]] = {doc_id: [] for doc_id in by_id}
    for a, b in combinations(sorted(by_id), 2):
        linked = (a, b) in edges or (b, a) in edges
        if not linked and len(passages[a] & passages[b]) < MIN_SHARED:
            continue
        for al in align(norms[a], norms[b]):
            evidence[a].append((by_id[b].witness, al))
            evidence[b].append((by_id[a].witness, al.swapped()))
    return {d: trace(by_id[d].witness, len(norms[d].display), evidence[d]) for d in by_id}
