"""Open the Redis the settings name: REDIS_URL, or the embedded server under a lease."""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Iterator
from urllib.parse import quote

import redis

from workers.errors import RedisUnavailable
from workers.redis.embedded_redis import EmbeddedRedis
from workers.settings import Settings


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


def _check(client: redis.Redis, what: str) -> None:
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach {what}: {exc}") from exc


def connection_url(connection: redis.Redis, settings: Settings) -> str:
    """A URL for child processes (crawls, workers) to reach the same server."""
    if settings.redis_url:
        return settings.redis_url
    kwargs = connection.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{quote(kwargs['path'])}?db={kwargs.get('db', 0)}"
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
