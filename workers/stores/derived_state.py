"""Which Redis keys are derived from the WARC archive, and clearing them for a rebuild."""

from __future__ import annotations

from archive.keys import Keys
from workers.redis.slot_routing import RedisClient

# Crawl history, incremental-crawl state, hand-off guards, locks and deletions (a deleted
# document's captures stay in the archive, and a rebuild leaves them out) are not in the archive.
KEPT = frozenset({"crawl", "crawls", "seen", "handoff", "lock", "deleted"})
BATCH = 1000


def derived_keys(connection: RedisClient, prefix: str) -> list[bytes]:
    found = []
    for key in connection.scan_iter(match=Keys(prefix).pattern, count=BATCH):
        if Keys.kind(key.decode("utf-8", "replace")) not in KEPT:
            found.append(key)
    return found


def clear(connection: RedisClient, prefix: str) -> int:
    """Delete the derived keys; one DEL per key, as they may live in several cluster slots."""
    keys = derived_keys(connection, prefix)
    for start in range(0, len(keys), BATCH):
        pipe = connection.pipeline(transaction=False)
        for key in keys[start : start + BATCH]:
            pipe.delete(key)
        pipe.execute()
    return len(keys)
