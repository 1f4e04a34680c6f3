"""The ingest path's Redis calls on a connection kept per client, process and thread: Lua scripts
(EVALSHA) and pipelines of plain commands.

The ingest path makes a dozen calls per document. Through `redis.Redis` each also pays for a
pool checkout and return, retry wrappers and observability hooks: measured on the 2-core machine,
166 µs of client CPU per LSH add against 108 µs on a connection of its own (bench/index.py).
Replies are raw, as the protocol gives them (HGETALL: a map in RESP3, a flat list in RESP2).
Errors are redis-py's own (the same parser raises them); a lost connection is dropped and
reopened by the next call, and the caller's retry policy applies as before. A write a script was
refused at maxmemory raises OutOfMemoryError, as it would outside a script.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

_OOM = "OOM command not allowed"


class _Connections(threading.local):
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


_connections = _Connections()


class LuaScript:
    """A script from the workers package, called as `script(keys=[...], args=[...])`."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.name = name
        self.source = (resources.files("workers") / name).read_text("utf-8")
        self.sha = hashlib.sha1(self.source.encode("utf-8"), usedforsecurity=False).hexdigest()
        self.pool = client.connection_pool

    def __call__(self, keys: Sequence[EncodableT] = (), args: Sequence[EncodableT] = ()) -> Any:
        conn = _connections.get(self.pool)
        try:
            return _run(conn, "EVALSHA", self.sha, keys, args)
        except NoScriptError:  # a new or restarted server: EVAL also caches it
            return _run(conn, "EVAL", self.source, keys, args)


def pipelined(
    client: redis.Redis, commands: Sequence[Sequence[EncodableT]], atomic: bool = False
) -> list[Any]:
    """Every command's reply, in order, for one round trip; `atomic` wraps them in MULTI/EXEC.
    An error reply is raised once every reply has been read."""
    if not commands:
        return []
    conn = _connections.get(client.connection_pool)
    wrapped = [("MULTI",), *commands, ("EXEC",)] if atomic else commands
    try:
        conn.send_packed_command(conn.pack_commands(wrapped))
        replies = [_reply(conn) for _ in wrapped]
    except BaseException:
        conn.disconnect()
        raise
    _raise_first_error(replies)  # also a command refused before EXEC (EXECABORT)
    if not atomic:
        return replies
    _raise_first_error(replies[-1])
    return list(replies[-1])


def _raise_first_error(replies: Sequence[Any]) -> None:
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply


def _reply(conn: AbstractConnection) -> Any:
    try:
        return conn.read_response()
    except redis.ResponseError as exc:  # read whole; raised once the rest is read
        return exc


def _run(
    conn: AbstractConnection, command: str, script: str, keys: Sequence[Any], args: Sequence[Any]
) -> Any:
    try:
        conn.send_command(command, script, len(keys), *keys, *args)
        return conn.read_response()
    except redis.ResponseError as exc:  # the reply was read whole: the connection is in step
        if _OOM in str(exc):  # a write refused inside the script: what a plain command raises
            raise redis.OutOfMemoryError(str(exc)) from exc
        raise
    except BaseException:
        conn.disconnect()  # a half-read reply would be taken as the next call's
        raise
