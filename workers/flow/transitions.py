"""A stored document leaving: its page changed (re-crawled or re-imported with another text) or
it was deleted. One path for all three, so its old text leaves every derived state alike.

What follows from it: the LSH index, the match key claim, its cluster (split into the components
of the verified edges left, see cluster_remove.lua), the passage index, its alignments (both
sides), its pair links (workers.stores.pair_links; a neighbour that had it among its earliest
is pending: workers.flow.relink), and so the provenance of every document that cited it, which
`dedup.provenance.trace` recomputes from the alignments left. Every document whose cluster or
sources changed is marked changed, so an incremental export writes it again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from workers.stores.cluster_store import ClusterStore
from workers.stores.passage_index import PassageIndex
from workers.stores.store import Store, StoredDocument


class DocumentIndexes:
    """The store and the indexes a document is in."""

    def __init__(self, store: Store, clusters: ClusterStore, passages: PassageIndex) -> None:
        self.store = store
        self.clusters = clusters
        self.passages = passages

    def forget(self, old: StoredDocument) -> None:
        """Its text leaves every index and every derived value; its record goes last."""
        self.clusters.remove(old.doc_id)
        self.passages.remove(old.doc_id, old.norm())
        self.store.links.remove(old.witness)  # after both indexes: no one links it again
        self.store.delete(old.doc_id)

    def delete(self, doc: StoredDocument) -> None:
        """A user deleted it: forgotten, and its captures so far stay out (reindex too)."""
        self.store.mark_deleted(doc.doc_id, datetime.now(UTC))
        self.forget(doc)
