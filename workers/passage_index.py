"""The passage index in Redis: winnowed key fingerprints → documents, insert-then-query.

A document that reuses only a few paragraphs of a template is far from it as a whole, so the
MinHash LSH may never pair them; one shared paragraph gives a handful of shared winnowed
fingerprints (dedup.winnow). One Lua script adds the document's fingerprints and counts, per
other document, the fingerprints they share, in one round trip: of two documents processed at
the same moment, at least one sees the other. Adding is idempotent. Fingerprints held by more
than `max_docs` documents are stock phrases or boilerplate: they stop growing and are not counted.

Memory is what limits this index (hundreds of fingerprints per speech), so fingerprints live
as fields of 2**17 sharded hashes (compact listpack encoding up to `hash-max-ziplist-entries`,
which our redis.conf raises) with 4-byte document numbers as values, and no per-document
fingerprint list is kept: removal recomputes the fingerprints from the document's text.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

import redis
from redis.typing import EncodableT

from dedup.errors import ConfigError
from dedup.records import NormalizedText
from dedup.winnow import DEFAULT_WINNOW, WinnowConfig, winnow
from workers.direct_connection import LuaScript
from workers.keys import Keys

PASSAGE_INDEX_VERSION = "pi2"
SHARD_BITS = 17
_FIELD_BITS = 60 - SHARD_BITS  # winnowed fingerprints are 60-bit
_FIELD_MASK = (1 << _FIELD_BITS) - 1
SATURATED = b"!"


class PassageIndex:
    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        config: WinnowConfig = DEFAULT_WINNOW,
        max_docs: int = 50,
        min_shared: int = 2,
    ) -> None:
        if max_docs < 1 or min_shared < 1:
            raise ConfigError(f"max_docs and min_shared must be >= 1, got {max_docs}/{min_shared}")
        self.connection = connection
        self.config = config
        self.max_docs = max_docs
        self.min_shared = min_shared
        self.version = f"{config.version}-{PASSAGE_INDEX_VERSION}"
        self.base = keys.passages(self.version)
        self._add = LuaScript(connection, "passage_add.lua")
        self._remove = LuaScript(connection, "passage_remove.lua")

    def fingerprints(self, norm: NormalizedText) -> list[str]:
        return [format(fp, "x") for fp in winnow(norm.key, self.config)]

    def add_and_query(self, doc_id: str, norm: NormalizedText) -> list[tuple[str, int]]:
        """Index the document, then (same script) the others sharing at least `min_shared`
        fingerprints with it, most shared first: (doc id, shared fingerprints)."""
        args: list[EncodableT] = [self.base, doc_id, self.max_docs, *self._fields(norm.key)]
        flat = self._add(args=args)
        found = [(_text(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
        return sorted((f for f in found if f[1] >= self.min_shared), key=lambda f: (-f[1], f[0]))

    def remove(self, doc_id: str, norm: NormalizedText) -> bool:
        """Forget the document (`norm`: the text it was indexed with); False if not indexed."""
        return bool(self._remove(args=[self.base, doc_id, *self._fields(norm.key)]))

    def indexed(self, doc_id: str) -> int:
        """How many fingerprints the document was indexed with."""
        entry = self.connection.hget(f"{self.base}:num", doc_id)
        return int(_text(entry).split(":")[1]) if entry else 0

    def holders(self, key: str) -> list[set[str] | None]:
        """Per fingerprint of a match key: the documents holding it (None: too many to say)."""
        pipe = self.connection.pipeline(transaction=False)
        pairs = list(self._fields(key))
        for shard, field in zip(pairs[::2], pairs[1::2], strict=True):
            pipe.hget(f"{self.base}:s:{shard}", field)
        packed = pipe.execute()
        numbers = sorted({n for held in packed if held and held != SATURATED for n in _numbers(held)})
        names = (
            dict(zip(numbers, self.connection.hmget(f"{self.base}:name", numbers), strict=True))
            if numbers
            else {}
        )
        return [
            None if held == SATURATED else {_text(names[n]) for n in _numbers(held or b"") if names.get(n)}
            for held in packed
        ]

    def _fields(self, key: str) -> Iterator[str]:
        """(shard, field) of every fingerprint, flattened as the scripts take them."""
        for fp in winnow(key, self.config):
            yield str(fp >> _FIELD_BITS)
            yield format(fp & _FIELD_MASK, "x")


def _numbers(packed: bytes) -> Sequence[int]:
    return struct.unpack(f"<{len(packed) // 4}I", packed)


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
