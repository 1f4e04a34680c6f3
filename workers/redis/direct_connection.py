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

On a Redis Cluster (`redis.RedisCluster`, the index of DEDUPCRAWL_INDEX_URL) every command goes to
its slot's master, the nodes of a round trip in parallel (workers.redis.slot_routing).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, TypeVar

import redis
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

from workers.redis import slot_routing
from workers.redis.slot_routing import RedisClient
from workers.redis.wire import Command, connections, exchange, packed, reply_or_error

_OOM = "OOM command not allowed"
T = TypeVar("T")
__all__ = ["Call", "Command", "LuaScript", "RedisClient", "joined", "pipelined", "round_trip", "run_call"]


# Every script loaded in this process by its SHA-1 (bench/scale.py --by-script).
SCRIPT_NAMES: dict[str, str] = {}


class LuaScript:
    """A script of workers.stores, called as `script(keys=[...], args=[...])`."""

    def __init__(self, client: RedisClient, name: str, *preludes: str) -> None:
        """`preludes`: script files (shared rules) whose text goes before this script's."""
        self.name = name
        files = resources.files("workers.stores")
        self.source = "".join((files / part).read_text("utf-8") for part in (*preludes, name))
        self.sha = hashlib.sha1(self.source.encode("utf-8"), usedforsecurity=False).hexdigest()
        SCRIPT_NAMES[self.sha] = name  # what a server's slow log or commandstats calls it by
        # One server's pool (this thread's direct connection to it), or the cluster to route on.
        self.server = client if isinstance(client, redis.RedisCluster) else client.connection_pool

    def __call__(self, keys: Sequence[EncodableT] = (), args: Sequence[EncodableT] = ()) -> Any:
        server = self.server
        # isinstance against a redis-py client class costs ~1.5 µs when it fails (a Protocol
        # metaclass): the one-server path asks about the pool, which fails nowhere
        if not isinstance(server, ConnectionPool):
            return self._on_cluster(server, keys, args)
        conn = connections.get(server)
        try:
            return _run(conn, "EVALSHA", self.sha, keys, args)
        except NoScriptError:  # a new or restarted server: EVAL also caches it
            return _run(conn, "EVAL", self.source, keys, args)

    def _on_cluster(
        self, cluster: redis.RedisCluster, keys: Sequence[EncodableT], args: Sequence[EncodableT]
    ) -> Any:
        """On the master of the first key's slot; a node that lacks the script is sent its text."""
        reply = slot_routing.routed(cluster, [("EVALSHA", self.sha, len(keys), *keys, *args)])[0]
        if isinstance(reply, NoScriptError):
            reply = slot_routing.routed(cluster, [("EVAL", self.source, len(keys), *keys, *args)])[0]
        _raise_first_error([_script_error(reply)])
        return reply

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
    client: RedisClient, calls: Sequence[Call[Any]], meanwhile: Callable[[], object] | None = None
) -> list[Any]:
    """Each call's result, for one round trip. The calls must be independent of each other (a
    script the server lost is run again after the others). `meanwhile` runs after sending,
    while the server works; it must not use this connection."""
    commands = [command for call in calls for command in call.commands]
    if isinstance(client, redis.Redis):
        replies = exchange(connections.get(client.connection_pool), commands, meanwhile)
    else:
        replies = slot_routing.routed(client, commands, meanwhile)
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
            mine = [reply_or_error(functools.partial(script, keys, args))]
        _raise_first_error([_script_error(r) if call.script else r for r in mine])
        results.append(call.parse(mine))
    return results


def run_call(client: RedisClient, call: Call[T]) -> T:
    result: T = round_trip(client, [call])[0]
    return result


def pipelined(
    client: RedisClient, commands: Sequence[Sequence[EncodableT]], atomic: bool = False
) -> list[Any]:
    """Every command's reply, in order, for one round trip; `atomic` wraps them in MULTI/EXEC
    (on a cluster, their keys must share a slot). An error reply is raised once every reply
    has been read."""
    if not commands:
        return []
    if isinstance(client, redis.Redis):  # first: a failed isinstance costs ~1.5 µs
        wrapped = [("MULTI",), *commands, ("EXEC",)] if atomic else commands
        replies = exchange(connections.get(client.connection_pool), wrapped)
    else:
        replies = (slot_routing.transaction if atomic else slot_routing.routed)(client, commands)
    _raise_first_error(replies)  # also a command refused before EXEC (EXECABORT)
    if not atomic:
        return replies
    _raise_first_error(replies[-1])
    return list(replies[-1])


def _raise_first_error(replies: Sequence[Any]) -> None:
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply


def _script_error(reply: Any) -> Any:
    """A write refused inside a script: what a plain command raises (OutOfMemoryError)."""
    if isinstance(reply, redis.ResponseError) and _OOM in str(reply):
        return redis.OutOfMemoryError(str(reply))
    return reply


def _run(
    conn: AbstractConnection, command: str, script: str, keys: Sequence[Any], args: Sequence[Any]
) -> Any:
    try:
        conn.send_packed_command(packed([(command, script, len(keys), *keys, *args)]))
        return conn.read_response()
    except redis.ResponseError as exc:  # the reply was read whole: the connection is in step
        error = _script_error(exc)
        if error is not exc:
            raise error from exc
        raise
    except BaseException:
        conn.disconnect()  # a half-read reply would be taken as the next call's
        raise
