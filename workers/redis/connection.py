"""Open the Redis the settings name: REDIS_URL, or the embedded server under a lease; and the
index's, DEDUPCRAWL_INDEX_URL (a Redis Cluster, or one more Redis), else that same Redis.

Queues (RQ), leases, the scheduler and crawl state stay on the first (RQ needs a plain Redis);
documents, clusters, the LSH and passage indexes and pair links go to the index's.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode
from redis.retry import Retry

from workers.errors import RedisUnavailable
from workers.redis.embedded_redis import EmbeddedRedis
from workers.redis.slot_routing import FAILOVER_WAIT_S, RedisClient
from workers.settings import CLUSTER_SCHEMES, Settings, cluster_address, redact

# redis-py's own retries on a cluster (commands off the direct connection's path) wait out a
# failover as long as the direct connection does: pauses of up to 1 s.
_CLUSTER_RETRY = Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=int(FAILOVER_WAIT_S) + 10)


@dataclass(frozen=True, slots=True)
class Connections:
    """The two places of a process's state (the same client when no index URL is set)."""

    queues: redis.Redis  # RQ queues, leases, scheduler, crawl runs, seen URLs, hand-off guards
    index: RedisClient  # documents, clusters, LSH, passage index, pair links, counters


def embedded_server(settings: Settings) -> EmbeddedRedis:
    return EmbeddedRedis(settings.redis_dir, settings.redis_port)


@contextlib.contextmanager
def redis_connection(settings: Settings) -> Iterator[redis.Redis]:
    """A checked connection; with no REDIS_URL, the embedded server is leased for the duration."""
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url)
        _check(client, "REDIS_URL")
        try:
            yield client
        finally:
            client.close()
        return
    server = embedded_server(settings)
    info = server.acquire()
    # A process killed by SIGTERM or an exception still returns its lease.
    atexit.register(server.release)
    client = redis.Redis.from_url(info.url)
    try:
        _check(client, "the embedded redis-server")
        yield client
    finally:
        client.close()
        atexit.unregister(server.release)
        server.release()


@contextlib.contextmanager
def redis_connections(settings: Settings) -> Iterator[Connections]:
    """The queues' connection (`redis_connection`) and the index's, both checked."""
    with redis_connection(settings) as queues, index_connection(settings, queues) as index:
        yield Connections(queues, index)


@contextlib.contextmanager
def index_connection(settings: Settings, queues: redis.Redis) -> Iterator[RedisClient]:
    """The index's client, checked, closed at the end; `queues` itself with no index URL."""
    if not settings.index_url:
        yield queues
        return
    client = open_index(settings.index_url)
    try:
        _check(client, "DEDUPCRAWL_INDEX_URL")
        yield client
    finally:
        client.close()


def index_of(queues: redis.Redis, settings: Settings) -> RedisClient:
    """The index's client for the rest of this process (an RQ worker's job), unchecked."""
    return open_index(settings.index_url) if settings.index_url else queues


def open_index(url: str) -> RedisClient:
    """A client of DEDUPCRAWL_INDEX_URL: a RedisCluster for a cluster URL, else a Redis."""
    if url.partition("://")[0] not in CLUSTER_SCHEMES:
        return redis.Redis.from_url(url)
    address = cluster_address(url)
    try:
        return redis.RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
            username=address.username,
            password=address.password,
            ssl=address.tls,
            retry=_CLUSTER_RETRY,
        )
    except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
        raise RedisUnavailable(f"cannot reach DEDUPCRAWL_INDEX_URL: {redact(str(exc))}") from exc


def _check(client: RedisClient, what: str) -> None:
    try:
        client.ping()
    except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
        raise RedisUnavailable(f"cannot reach {what}: {redact(str(exc))}") from exc


def connection_url(connection: redis.Redis, settings: Settings) -> str:
    """A URL for child processes (crawls, workers) to reach the same server."""
    if settings.redis_url:
        return settings.redis_url
    kwargs = connection.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{quote(kwargs['path'])}?db={kwargs.get('db', 0)}"
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
