"""A store driven the way a user drives it (import a URL with a text, delete it, reindex), and
what it shows afterwards: clusters, the export and each document's sources, as plain values."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import redis

from archive.capture import DocumentCapture
from archive.keys import Keys
from archive.warc import WarcArchive, iter_documents
from dedup.records import Rejection
from tests.engine_stack import new_ingestor, stores
from workers.flow.imports import Importer
from workers.flow.ingest import Outcome, document_id
from workers.read.catalog import Catalog
from workers.read.export import Exporter, write
from workers.stores import derived_state
from workers.web.actions import delete_document


@dataclass(frozen=True, slots=True)
class ClusterView:
    members: frozenset[str]
    size: int
    representative: str


class IngestRig:
    """One data directory's archive and one Redis prefix, ingested in process."""

    def __init__(self, connection: redis.Redis, home: Path, prefix: str = "rig") -> None:
        self.connection = connection
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.keys = Keys(prefix)
        self.warc = home / "warc"
        self.ingestor = new_ingestor(connection, self.keys, self.warc)
        self._lines = 0

    def capture(self, url: str, text: str, published: date | None = None) -> DocumentCapture:
        """Archive one JSON Lines record, as `dedupcrawl import` does."""
        record: dict[str, Any] = {"url": url, "text": text}
        if published:
            record["published"] = published.isoformat()
        self._lines += 1
        path = self.home / f"in-{self._lines}.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        archive = WarcArchive(self.warc, "import")
        try:
            items = list(Importer(archive).jsonl(path))
        finally:
            archive.close()
        (item,) = items
        if isinstance(item, Rejection):
            raise AssertionError(f"rejected: {item}")
        return item

    def put(self, url: str, text: str, published: date | None = None) -> Outcome:
        return self.ingestor.ingest_capture(self.capture(url, text, published))

    def delete(self, url: str) -> bool:
        """As the web UI's delete does."""
        ingestor = self.ingestor
        return delete_document(ingestor.store, ingestor.clusters, ingestor.passages, document_id(url))

    def reindex(self) -> None:
        """`dedupcrawl reindex`: derived state cleared, the archive ingested again in order."""
        derived_state.clear(self.connection, self.keys.prefix)
        self.ingestor = new_ingestor(self.connection, self.keys, self.warc)
        for capture in iter_documents(self.warc):
            self.ingestor.ingest_capture(capture)

    # what it shows ------------------------------------------------------------------------

    def urls(self) -> dict[str, str]:
        store = self.ingestor.store
        return {d.doc_id: d.url for d in store.get_many(store.document_ids()) if d is not None}

    def clusters(self) -> set[ClusterView]:
        """Every live cluster (singletons too) by member URLs, as its record states it."""
        clusters, urls = self.ingestor.clusters, self.urls()
        found = set()
        for cluster_id in {clusters.cluster_of(d) or "" for d in urls}:
            info = clusters.cluster(cluster_id)
            members = frozenset(urls.get(m.doc_id, m.doc_id) for m in clusters.members(cluster_id))
            if info is None:
                found.add(ClusterView(members, -1, ""))
            else:
                found.add(ClusterView(members, info.size, urls.get(info.representative, info.representative)))
        return found

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Each document's traced sources, by URL."""
        catalog = Catalog(stores(self.connection, self.keys, self.ingestor.config, self.warc))
        store, urls = self.ingestor.store, self.urls()
        found = {}
        for doc in store.get_many(sorted(urls)):
            if doc is not None:
                found[doc.url] = tuple(urls.get(s, s) for s in catalog.trace(doc).sources)
        return found

    def export(self, out: Path | None = None) -> list[dict[str, Any]]:
        """A full export as records (written to `out` too, when given)."""
        batch = Exporter(stores(self.connection, self.keys, self.ingestor.config, self.warc)).export()
        if out is not None:
            write(batch.records, out, "jsonl")
        return [asdict(r) for r in batch.records]
