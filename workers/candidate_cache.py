"""Candidates' prepared texts (seed tables), kept by a worker process across documents.

A template and its first copies are candidates of every later member of their family. Reading
their text from Redis, rebuilding the match key and sorting the seed table cost more than the
alignment itself (bench/ingest.py); kept here they are read once per process. An entry is only
used for the content hash it was built from, so a changed page is read again.
"""

from __future__ import annotations

from collections import OrderedDict

from dedup.align import KeyIndex


class CandidateCache:
    """Least recently used `KeyIndex`es by document id, at most `size` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[str, KeyIndex]] = OrderedDict()

    def get(self, doc_id: str, content_hash: str) -> KeyIndex | None:
        entry = self._entries.get(doc_id)
        if entry is None or entry[0] != content_hash:
            return None
        self._entries.move_to_end(doc_id)
        return entry[1]

    def put(self, doc_id: str, content_hash: str, index: KeyIndex) -> None:
        self._entries[doc_id] = (content_hash, index)
        self._entries.move_to_end(doc_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
