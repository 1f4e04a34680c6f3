"""Which Redis keys are derived from the WARC archive, and clearing them for a rebuild."""

from __future__ import annotations

from workers.redis.slot_routing import RedisClient

# Crawl history, incremental-crawl state, hand-off guards, locks and deletions (a deleted
# document's captures stay in the archive, and a rebuild leaves them out) are not in the archive.
KEPT = frozenset({"crawl", "crawls", "seen", "handoff", "lock", "deleted"})


def derived_keys(connection: RedisClient, prefix: str) -> list[bytes]:
    found = []
    for key in connection.scan_iter(match=f"{prefix}:*", count=1000):
        kind = key.decode("utf-8", "replace").split(":", 2)[1]
        if kind not in KEPT:
            found.append(key)
    return found


def clear(connection: RedisClient, prefix: str) -> int:
    keys = derived_keys(connection, prefix)
    for start in range(0, len(keys), 1000):
        connection.delete(*keys[start : start + 1000])
    return len(keys)
