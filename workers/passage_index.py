"""The passage index in Redis: winnowed key fingerprints → documents, insert-then-query.

A document that reuses only a few paragraphs of a template is far from it as a whole, so the
MinHash LSH may never pair them; one shared paragraph gives a handful of shared winnowed
fingerprints (dedup.winnow). One Lua script adds the document's fingerprints and counts, per
other document, the fingerprints they share, in one round trip: of two documents processed at
the same moment, at least one sees the other. Adding is idempotent (sets), and re-adding a
document whose text changed drops its old fingerprints. Fingerprints held by more than
`max_docs` documents are stock phrases or boilerplate: they stop growing and are not counted.
"""

from __future__ import annotations

import redis
from redis.typing import EncodableT

from dedup.errors import ConfigError
from dedup.records import NormalizedText
from dedup.winnow import DEFAULT_WINNOW, WinnowConfig, winnow
from workers.keys import Keys
from workers.lsh_index import load_script

PASSAGE_INDEX_VERSION = "pi1"


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
        self._add = load_script(connection, "passage_add.lua")
        self._remove = load_script(connection, "passage_remove.lua")

    def fingerprints(self, norm: NormalizedText) -> list[str]:
        return [format(fp, "x") for fp in winnow(norm.key, self.config)]

    def add_and_query(self, doc_id: str, norm: NormalizedText) -> list[tuple[str, int]]:
        """Index the document, then (same script) the others sharing at least `min_shared`
        fingerprints with it, most shared first: (doc id, shared fingerprints)."""
        args: list[EncodableT] = [self.base, doc_id, self.max_docs, *self.fingerprints(norm)]
        flat = self._add(args=args)
        found = [(_text(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
        return sorted((f for f in found if f[1] >= self.min_shared), key=lambda f: (-f[1], f[0]))

    def remove(self, doc_id: str) -> bool:
        """Forget the document's fingerprints; False if it was not indexed."""
        return bool(self._remove(args=[self.base, doc_id]))

    def indexed(self, doc_id: str) -> int:
        """How many fingerprints of the document are indexed."""
        return int(self.connection.scard(f"{self.base}:d:{doc_id}"))


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
