"""Search by title, URL or a phrase of the text, without reading every document per query.

Titles and URLs: an in-process table (id → "title url site"), caught up before each query from
the change log (`Keys.changes`, doc id → change counter) — only documents changed since the last
query are read, and only their short fields. A query is then a substring scan over short strings
in memory (about 100 bytes a document), not a read of texts.

Phrases: the passage index (workers.stores.passage_index) already maps winnowed fingerprints of every
document's match key to document ids. Any document containing the phrase holds every fingerprint
of the phrase (each fingerprint is the minimum of a window lying inside the phrase), so the
intersection of the non-saturated fingerprint sets is a small candidate set; only those
candidates' texts are read to confirm. A phrase needs `window + gram - 1` key characters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from archive.keys import Keys
from dedup.normalize.key import match_key
from workers.redis.slot_routing import RedisClient
from workers.stores.replies import text_of
from workers.stores.store import site_of
from workers.stores.store_set import Stores

MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    url: str
    title: str | None
    site: str
    matched: str  # "title", "url" or "text"
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    hits: list[Hit]
    note: str = ""


class TitleIndex:
    """id → (title, url, site, casefolded "title\\0url"), kept current from the change log."""

    def __init__(self, connection: RedisClient, keys: Keys) -> None:
        self.connection = connection
        self.keys = keys
        self.rows: dict[str, tuple[str, str, str, str]] = {}
        self.cursor = 0
        self._lock = threading.Lock()

    def catch_up(self, batch: int = 2000) -> None:
        """Read the short fields of every document changed since the last call, `batch` at a time."""
        with self._lock:
            while True:
                changed: list[Any] = self.connection.zrangebyscore(
                    self.keys.changes, self.cursor + 1, "+inf", start=0, num=batch, withscores=True
                )
                if not changed:
                    return
                self._load([text_of(row[0]) for row in changed])
                self.cursor = int(changed[-1][1])

    def _load(self, ids: list[str]) -> None:
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in ids:
            pipe.hmget(self.keys.doc(doc_id), ("title", "url", "site"))
        for doc_id, values in zip(ids, pipe.execute(), strict=True):
            if values[1] is None:
                self.rows.pop(doc_id, None)  # deleted
            else:
                title, url = text_of(values[0]), text_of(values[1])
                site = site_of(values[2], url)
                self.rows[doc_id] = (title, url, site, f"{title}\0{url}".casefold())

    def find(self, query: str, limit: int) -> list[Hit]:
        self.catch_up()
        wanted = query.casefold()
        hits = []
        for doc_id, (title, url, site, folded) in self.rows.items():
            if wanted in folded:
                matched = "title" if wanted in title.casefold() else "url"
                hits.append(Hit(doc_id, url, title or None, site, matched))
                if len(hits) >= limit:
                    break
        return hits


class Search:
    def __init__(self, stores: Stores) -> None:
        self.titles = TitleIndex(stores.connection, stores.keys)
        self.passages = stores.passages
        self.store = stores.documents
        self.connection = stores.connection

    def search(self, query: str, limit: int = 50) -> SearchResult:
        query = query.strip()
        if not query:
            return SearchResult(query, [])
        hits = self.titles.find(query, limit)
        seen = {h.id for h in hits}
        text_hits, note = self.phrase(query, limit)
        hits += [h for h in text_hits if h.id not in seen]
        return SearchResult(query, hits[:limit], note)

    def phrase(self, query: str, limit: int) -> tuple[list[Hit], str]:
        key, _ = match_key(query)
        config = self.passages.config
        if len(key) < config.window + config.gram - 1:
            return [], f"text search needs a phrase of at least {config.window + config.gram - 1} characters"
        candidates = self._candidates(key)
        if candidates is None:
            return [], "the phrase is too common to search in the text"
        hits = []
        for doc in self.store.get_many(sorted(candidates)[:MAX_CANDIDATES]):
            if doc is not None and key in doc.norm().key:
                snippet = _snippet(doc.display, query)
                hits.append(Hit(doc.doc_id, doc.url, doc.title, doc.site, "text", snippet))
        return hits[:limit], ""

    def _candidates(self, key: str) -> set[str] | None:
        found: set[str] | None = None
        for holders in self.passages.holders(key):
            if holders is None:
                continue  # saturated: no longer grown, so it says nothing
            found = holders if found is None else found & holders
        return found


def _snippet(display: str, query: str, width: int = 40) -> str:
    at = display.find(query)
    if at < 0:
        return display[: width * 2]
    return display[max(0, at - width) : at + len(query) + width]
