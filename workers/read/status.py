"""What `dedupcrawl status` reports: data location, the Redis in use, queues and counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

from archive.keys import Keys
from archive.location import as_location
from crawler.queues import depths
from workers.redis.connection import embedded_server
from workers.redis.slot_routing import RedisClient
from workers.settings import Settings, redact
from workers.stores.replies import text_of


@dataclass(frozen=True, slots=True)
class Status:
    home: str
    archive: str  # the WARC archive (DEDUPCRAWL_ARCHIVE_DIR): on several hosts, the shared mount
    redis_mode: str
    redis_url: str
    redis_version: str
    redis_pid: int
    persistence: dict[str, str]
    lease_holders: list[int]
    queues: dict[str, dict[str, int]]
    counts: dict[str, int] = field(default_factory=dict)
    index_url: str = ""  # DEDUPCRAWL_INDEX_URL, redacted; empty: the index is on this Redis


def collect(settings: Settings, connection: redis.Redis, index: RedisClient | None = None) -> Status:
    """`index`: the documents' Redis (DEDUPCRAWL_INDEX_URL's), None: `connection`."""
    info: dict[str, Any] = connection.info("server")
    documents = connection if index is None else index
    keys = Keys(settings.key_prefix)
    embedded = None if settings.redis_url else embedded_server(settings)
    running = embedded.running() if embedded else None
    return Status(
        home=str(settings.home),
        archive=as_location(settings.archive).describe(),
        redis_mode="embedded" if embedded else "url",
        redis_url=running.url if running else redact(settings.redis_url or ""),
        redis_version=str(info.get("redis_version", "?")),
        redis_pid=int(info.get("process_id", 0)),
        persistence=_persistence(connection),
        lease_holders=embedded.lease_holders() if embedded else [],
        queues=depths(connection),
        counts={
            "documents": int(documents.zcard(keys.docs)),
            "clusters": int(documents.zcount(keys.clusters, 2, "+inf")),  # singletons are not clusters
            "rejections": int(documents.zcard(keys.rejections)),
            "untraced": int(documents.scard(keys.untraced)),  # clustered, trace queued (deferred)
            "crawl_runs": int(connection.zcard(keys.crawls)),
        },
        index_url=redact(settings.index_url or ""),
    )


def _persistence(connection: redis.Redis) -> dict[str, str]:
    wanted = ("appendonly", "appendfsync", "maxmemory-policy", "dir")
    result = {}
    for name in wanted:
        try:
            values: dict[Any, Any] = dict(connection.config_get(name))
        except redis.ResponseError:  # managed services may forbid CONFIG
            values = {}
        result[name] = text_of(values.get(name, values.get(name.encode(), "?")))
    return result
