"""Every key of a Redis database with its value, whatever the encoding: DUMP's bytes follow a
hash table's iteration order, which a lookup can change (a read advances incremental rehashing)."""

from __future__ import annotations

from typing import Any

import redis


def contents(client: redis.Redis) -> dict[bytes, tuple[bytes, Any]]:
    return {key: _value(client, key) for key in client.keys("*")}


def _value(client: redis.Redis, key: bytes) -> tuple[bytes, Any]:
    kind = client.type(key)
    readers = {
        b"string": client.get,
        b"hash": client.hgetall,
        b"set": client.smembers,
        b"list": lambda k: client.lrange(k, 0, -1),
        b"zset": lambda k: client.zrange(k, 0, -1, withscores=True),
    }
    return kind, readers[kind](key)
