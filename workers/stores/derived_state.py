"""Which Redis keys are derived from the WARC archive, and clearing them for a rebuild."""

from __future__ import annotations

import redis
from redis.typing import EncodableT

from archive.keys import QUEUE_SIDE, Keys
from workers.redis.slot_routing import RedisClient
from workers.stores.replies import text_of

# Crawl history, incremental-crawl state, hand-off guards, locks and deletions (a deleted
# document's captures stay in the archive, and a rebuild leaves them out) are not in the archive.
KEPT = QUEUE_SIDE | {"deleted"}
BATCH = 1000


def derived_keys(connection: RedisClient, prefix: str) -> list[bytes]:
    """The index's keys but those KEPT, and those a store built before the hash tags left
    (`P:doc:...`: untagged, of a kind not kept)."""
    found = []
    for pattern in Keys(prefix).patterns:
        for key in connection.scan_iter(match=pattern, count=BATCH):
            if Keys.kind(key.decode("utf-8", "replace")) not in KEPT:
                found.append(key)
    return found


def carry_deletions(queues: redis.Redis, index: RedisClient, keys: Keys) -> int:
    """Deletions an older store kept elsewhere (as `P:deleted`, before the hash tags; or on the
    queues' Redis, before the index moved to DEDUPCRAWL_INDEX_URL) into the index's, the latest
    time of each document winning, so a rebuild still leaves them out; how many were new there."""
    found: dict[str, float] = {}
    for name in (keys.legacy_deleted, *([keys.deleted] if queues is not index else [])):
        for doc, when in queues.hgetall(name).items():
            found[text_of(doc)] = max(found.get(text_of(doc), 0.0), float(when))
    held = index.hmget(keys.deleted, list(found)) if found else []
    newer: dict[EncodableT, EncodableT] = {
        d: f"{t:.6f}" for (d, t), h in zip(found.items(), held, strict=True) if h is None or float(h) < t
    }
    if newer:
        index.hset(keys.deleted, mapping=newer)
    return len(newer)


def clear(connection: RedisClient, prefix: str) -> int:
    """Delete the derived keys; one DEL per key, as they may live in several cluster slots."""
    keys = derived_keys(connection, prefix)
    for start in range(0, len(keys), BATCH):
        pipe = connection.pipeline(transaction=False)
        for key in keys[start : start + BATCH]:
            pipe.delete(key)
        pipe.execute()
    return len(keys)
