"""Candidates' seed tables, kept by a worker process across documents.

A template and its first copies are candidates of every later member of their family. Reading
their text from Redis, rebuilding the match key and sorting the seed table cost more than the
alignment itself (bench/ingest.py); kept here they are read once per process. Two tiers: the
most recently used candidates as compact seed tables (`SeedTable.compact`, ~20 bytes a key
character, no text), and many more as packed keys (`PackedKey`, ~3 bytes a key character), whose
table is rebuilt on use for a quarter of the cost of reading the text back. On the bench corpus a
document's ~6 candidates are spread over the whole corpus: 256 prepared texts missed 88% of them
at 12,000 documents. An entry is only used for the content hash it was built from, so a changed
page is read again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

from dedup.align import KeyIndex, PackedKey, SeedTable

TABLES_SHARE = 3  # a third of the budget holds tables, the rest packed keys


class _Sized(Protocol):
    @property
    def nbytes(self) -> int: ...


E = TypeVar("E", bound=_Sized)


class _Lru(Generic[E]):
    """Least recently used entries by document id, at most `budget` bytes of them."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self.entries: OrderedDict[str, tuple[str, E]] = OrderedDict()

    def get(self, doc_id: str, content_hash: str) -> E | None:
        entry = self.entries.get(doc_id)
        if entry is None or entry[0] != content_hash:
            return None
        self.entries.move_to_end(doc_id)
        return entry[1]

    def put(self, doc_id: str, content_hash: str, value: E) -> None:
        self._drop(doc_id)
        self.entries[doc_id] = (content_hash, value)
        self.held += value.nbytes
        while self.held > self.budget and self.entries:
            self._drop(next(iter(self.entries)))

    def _drop(self, doc_id: str) -> None:
        entry = self.entries.pop(doc_id, None)
        if entry is not None:
            self.held -= entry[1].nbytes


class CandidateCache:
    """Seed tables by document id and content hash, within `budget` bytes (both tiers)."""

    def __init__(self, budget: int) -> None:
        self.tables: _Lru[SeedTable] = _Lru(budget // TABLES_SHARE)
        self.keys: _Lru[PackedKey] = _Lru(budget - budget // TABLES_SHARE)

    def get(self, doc_id: str, content_hash: str) -> SeedTable | None:
        table = self.tables.get(doc_id, content_hash)
        if table is None:
            packed = self.keys.get(doc_id, content_hash)
            if packed is not None:
                table = packed.table()
                self.tables.put(doc_id, content_hash, table)
        return table

    def put(self, doc_id: str, content_hash: str, index: KeyIndex) -> SeedTable:
        """Keep the prepared text's compact table (returned) and its packed key."""
        compact = index.compact()
        self.tables.put(doc_id, content_hash, compact)
        self.keys.put(doc_id, content_hash, PackedKey.of(index.norm.key, compact))
        return compact

    @property
    def held(self) -> int:
        return self.tables.held + self.keys.held

    def __len__(self) -> int:
        return len(self.keys.entries)
