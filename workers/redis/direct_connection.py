"""The ingest path's Redis calls on a connection kept per client, process and thread: Lua scripts
(EVALSHA), pipelines of plain commands, and round trips of independent calls (`Call`) from
several stores, with the caller's own work done while the server runs them.

The ingest path makes a dozen calls per document. Through `redis.Redis` each also pays for a
pool checkout and return, retry wrappers and observability hooks: measured on the 2-core machine,
166 µs of client CPU per LSH add against 108 µs on a connection of its own (bench/index.py).
Replies are raw, as the protocol gives them (HGETALL: a map in RESP3, a flat list in RESP2).
Errors are redis-py's own (the same parser raises them); a lost connection is dropped and
reopened by the next call, and the caller's retry policy applies as before. A write a script was
refused at maxmemory raises OutOfMemoryError, as it would outside a script.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, TypeVar

import hiredis
import redis
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

_OOM = "OOM command not allowed"
T = TypeVar("T")
Command = Sequence[EncodableT]


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
    """A script of workers.stores, called as `script(keys=[...], args=[...])`."""

    def __init__(self, client: redis.Redis, name: str, *preludes: str) -> None:
        """`preludes`: script files (shared rules) whose text goes before this script's."""
        self.name = name
        files = resources.files("workers.stores")
        self.source = "".join((files / part).read_text("utf-8") for part in (*preludes, name))
        self.sha = hashlib.sha1(self.source.encode("utf-8"), usedforsecurity=False).hexdigest()
        self.pool = client.connection_pool

    def __call__(self, keys: Sequence[EncodableT] = (), args: Sequence[EncodableT] = ()) -> Any:
        conn = _connections.get(self.pool)
        try:
            return _run(conn, "EVALSHA", self.sha, keys, args)
        except NoScriptError:  # a new or restarted server: EVAL also caches it
            return _run(conn, "EVAL", self.source, keys, args)

    def call(
        self,
        keys: Sequence[EncodableT] = (),
        args: Sequence[EncodableT] = (),
        parse: Callable[[Any], T] = lambda reply: reply,
    ) -> Call[T]:
        """This script's call, to be sent with others by `round_trip`."""
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        return Call((command,), lambda replies: parse(replies[0]), (self, keys, args))


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """Commands and what their replies mean; a script's call keeps its script and arguments, so
    a server that lost its script cache can be sent the script itself."""

    commands: tuple[Command, ...]
    parse: Callable[[list[Any]], T]
    script: tuple[LuaScript, Sequence[EncodableT], Sequence[EncodableT]] | None = None
    parts: tuple[Call[Any], ...] = ()  # a joined call (`joined`): `parse` takes their results


def joined(calls: Sequence[Call[Any]], combine: Callable[[list[Any]], T]) -> Call[T]:
    """Several calls sent as one (a sharded index's call per group), their results combined."""
    return Call(tuple(c for call in calls for c in call.commands), combine, None, tuple(calls))


def round_trip(
    client: redis.Redis, calls: Sequence[Call[Any]], meanwhile: Callable[[], object] | None = None
) -> list[Any]:
    """Each call's result, for one round trip. The calls must be independent of each other (a
    script the server lost is run again after the others). `meanwhile` runs after sending,
    while the server works; it must not use this connection."""
    conn = _connections.get(client.connection_pool)
    replies = _exchange(conn, [command for call in calls for command in call.commands], meanwhile)
    return _results(calls, replies)


def _results(calls: Sequence[Call[Any]], replies: list[Any]) -> list[Any]:
    results, at = [], 0
    for call in calls:
        mine, at = replies[at : at + len(call.commands)], at + len(call.commands)
        if call.parts:
            results.append(call.parse(_results(call.parts, mine)))
            continue
        if call.script and isinstance(mine[0], NoScriptError):
            script, keys, args = call.script
            mine = [_reply_or_error(functools.partial(script, keys, args))]
        _raise_first_error([_script_error(r) if call.script else r for r in mine])
        results.append(call.parse(mine))
    return results


def run_call(client: redis.Redis, call: Call[T]) -> T:
    result: T = round_trip(client, [call])[0]
    return result


def pipelined(
    client: redis.Redis, commands: Sequence[Sequence[EncodableT]], atomic: bool = False
) -> list[Any]:
    """Every command's reply, in order, for one round trip; `atomic` wraps them in MULTI/EXEC.
    An error reply is raised once every reply has been read."""
    if not commands:
        return []
    wrapped = [("MULTI",), *commands, ("EXEC",)] if atomic else commands
    replies = _exchange(_connections.get(client.connection_pool), wrapped)
    _raise_first_error(replies)  # also a command refused before EXEC (EXECABORT)
    if not atomic:
        return replies
    _raise_first_error(replies[-1])
    return list(replies[-1])


def _exchange(
    conn: AbstractConnection, commands: Sequence[Command], meanwhile: Callable[[], object] | None = None
) -> list[Any]:
    """Send all, run `meanwhile`, read every reply (an error reply as its exception)."""
    try:
        conn.send_packed_command(_packed(commands))
        if meanwhile:
            meanwhile()
        return [_reply_or_error(conn.read_response) for _ in commands]
    except BaseException:  # replies left unread would be taken as the next call's
        conn.disconnect()
        raise


def _packed(commands: Sequence[Command]) -> list[bytes]:
    # hiredis's packer called directly: redis-py's wrapper around it cost ~4 µs more a command
    # (about 38 commands a document)
    return [b"".join([hiredis.pack_command(tuple(command)) for command in commands])]  # type: ignore[arg-type]


def _raise_first_error(replies: Sequence[Any]) -> None:
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply


def _reply_or_error(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except redis.ResponseError as exc:  # read whole; raised once the rest is read
        return exc


def _script_error(reply: Any) -> Any:
    """A write refused inside a script: what a plain command raises (OutOfMemoryError)."""
    if isinstance(reply, redis.ResponseError) and _OOM in str(reply):
        return redis.OutOfMemoryError(str(reply))
    return reply


def _run(
    conn: AbstractConnection, command: str, script: str, keys: Sequence[Any], args: Sequence[Any]
) -> Any:
    try:
        conn.send_packed_command(_packed([(command, script, len(keys), *keys, *args)]))
        return conn.read_response()
    except redis.ResponseError as exc:  # the reply was read whole: the connection is in step
        error = _script_error(exc)
        if error is not exc:
            raise error from exc
        raise
    except BaseException:
        conn.disconnect()  # a half-read reply would be taken as the next call's
        raise
