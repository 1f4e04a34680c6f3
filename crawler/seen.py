"""Incremental crawl state per URL in Redis: last fetch, validators, digest, last capture."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from archive.capture import CaptureRef
from archive.keys import Keys


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """What the last crawl learned about a URL; `pages` lists a document's pages (page 1 only)."""

    url: str
    fetched_at: float
    payload_digest: str = ""
    etag: str | None = None
    last_modified: str | None = None
    capture: CaptureRef | None = None
    pages: tuple[str, ...] = ()

    def to_fields(self) -> dict[Any, str]:
        return {
            "url": self.url,
            "fetched_at": repr(self.fetched_at),
            "payload_digest": self.payload_digest,
            "etag": self.etag or "",
            "last_modified": self.last_modified or "",
            "capture": json.dumps(self.capture.to_dict()) if self.capture else "",
            "pages": json.dumps(list(self.pages)),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> SeenEntry:
        text = {k.decode(): v.decode() for k, v in fields.items()}
        capture = text.get("capture")
        return cls(
            url=text["url"],
            fetched_at=float(text.get("fetched_at") or 0.0),
            payload_digest=text.get("payload_digest", ""),
            etag=text.get("etag") or None,
            last_modified=text.get("last_modified") or None,
            capture=CaptureRef.from_dict(json.loads(capture)) if capture else None,
            pages=tuple(json.loads(text.get("pages") or "[]")),
        )


class SeenStore:
    """Reads and writes `{prefix}:seen:{sha1(url)}` hashes, pipelined per batch."""

    def __init__(self, connection: redis.Redis, key_prefix: str) -> None:
        self._redis = connection
        self._keys = Keys(key_prefix)

    def get_many(self, urls: Sequence[str]) -> dict[str, SeenEntry]:
        pipe = self._redis.pipeline(transaction=False)
        for url in urls:
            pipe.hgetall(self._keys.seen(url))
        found = {}
        for url, fields in zip(urls, pipe.execute(), strict=True):
            if fields and b"url" in fields:
                found[url] = SeenEntry.from_fields(fields)
        return found

    def get(self, url: str) -> SeenEntry | None:
        return self.get_many([url]).get(url)

    def record_many(self, entries: Iterable[SeenEntry]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for entry in entries:
            pipe.hset(self._keys.seen(entry.url), mapping=entry.to_fields())
        pipe.execute()
