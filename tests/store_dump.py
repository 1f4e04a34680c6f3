"""A canonical dump of what the service stored, to compare two runs (re-run, reindex, import)."""

from __future__ import annotations

from typing import Any

from workers.stores.cluster_store import ClusterStore
from workers.stores.store import Store


def dump(store: Store, clusters: ClusterStore) -> dict[str, Any]:
    """Per document URL: its content, its cluster (as member URLs) and its alignments by URL."""
    docs = {d.doc_id: d for d in store.get_many(store.document_ids()) if d is not None}
    url_of = {doc_id: doc.url for doc_id, doc in docs.items()}
    result: dict[str, Any] = {}
    for doc_id, doc in docs.items():
        cluster_id = clusters.cluster_of(doc_id)
        members = [m.doc_id for m in clusters.members(cluster_id)] if cluster_id else [doc_id]
        result[doc.url] = {
            "content_hash": doc.content_hash,
            "state": doc.state,
            "title": doc.title,
            "published": str(doc.published),
            "cluster": sorted(url_of.get(m, m) for m in members),
            "alignments": sorted(
                (w.url, a.a_start, a.a_end, a.b_start, a.b_end, round(a.similarity, 3))
                for w, a in store.alignments(doc_id)
            ),
        }
    return result
