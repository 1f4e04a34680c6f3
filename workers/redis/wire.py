"""The wire under the direct connection: one connection of our own per connection pool, process
and thread; commands packed by hiredis and sent at once; every reply read whole, an error reply
as its exception (so the connection stays in step)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
import redis
from redis.connection import AbstractConnection, ConnectionPool
from redis.typing import EncodableT

Command = Sequence[EncodableT]


class Connections(threading.local):
    """One direct connection per pool for this thread; a forked child opens its own."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.by_pool: weakref.WeakKeyDictionary[ConnectionPool, AbstractConnection] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, pool: ConnectionPool) -> AbstractConnection:
        if self.pid != os.getpid():  # inherited sockets belong to the parent
            self.pid, self.by_pool = os.getpid(), weakref.WeakKeyDictionary()
        conn = self.by_pool.get(pool)
        if conn is None:
            conn = pool.connection_class(**pool.connection_kwargs)
            self.by_pool[pool] = conn
        return conn


connections = Connections()


def exchange(
    conn: AbstractConnection, commands: Sequence[Command], meanwhile: Callable[[], object] | None = None
) -> list[Any]:
    """Send all, run `meanwhile`, read every reply (an error reply as its exception)."""
    try:
        conn.send_packed_command(packed(commands))
        if meanwhile:
            meanwhile()
        return [reply_or_error(conn.read_response) for _ in commands]
    except BaseException:  # replies left unread would be taken as the next call's
        conn.disconnect()
        raise


def packed(commands: Sequence[Command]) -> list[bytes]:
    # hiredis's packer called directly: redis-py's wrapper around it cost ~4 µs more a command
    # (about 38 commands a document)
    return [b"".join([hiredis.pack_command(tuple(command)) for command in commands])]  # type: ignore[arg-type]


def reply_or_error(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except redis.ResponseError as exc:  # read whole; raised once the rest is read
        return exc
