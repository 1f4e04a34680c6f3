"""Candidates' seed tables, kept by a worker process across documents.

A template and its first copies are candidates of every later member of their family. Reading
their text from Redis, rebuilding the match key and sorting the seed table cost more than the
alignment itself (bench/ingest.py); kept here they are read once per process. Only the compact
table is kept (`SeedTable.compact`, ~20 bytes a key character, no text), so a budget that held
256 prepared texts holds about a thousand tables. An entry is only used for the content hash it
was built from, so a changed page is read again.
"""

from __future__ import annotations

from collections import OrderedDict

from dedup.align import SeedTable


class CandidateCache:
    """Least recently used `SeedTable`s by document id, at most `budget` bytes of them."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._entries: OrderedDict[str, tuple[str, SeedTable]] = OrderedDict()

    def get(self, doc_id: str, content_hash: str) -> SeedTable | None:
        entry = self._entries.get(doc_id)
        if entry is None or entry[0] != content_hash:
            return None
        self._entries.move_to_end(doc_id)
        return entry[1]

    def put(self, doc_id: str, content_hash: str, table: SeedTable) -> SeedTable:
        """Keep the table's compact form (returned), dropping the least recently used past the
        budget."""
        compact = table.compact()
        self._drop(doc_id)
        self._entries[doc_id] = (content_hash, compact)
        self.held += compact.nbytes
        while self.held > self.budget and self._entries:
            self._drop(next(iter(self._entries)))
        return compact

    def _drop(self, doc_id: str) -> None:
        entry = self._entries.pop(doc_id, None)
        if entry is not None:
            self.held -= entry[1].nbytes

    def __len__(self) -> int:
        return len(self._entries)
