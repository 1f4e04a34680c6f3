"""The direct connection's calls on a Redis Cluster: each command goes to the master of the slot
of its first key (a script's: its first KEYS entry), on a direct connection of this thread to
that node; a round trip sends to every node before it reads any reply, so the nodes work in
parallel.

A command the cluster refused without running it is sent again: MOVED (the slot map is updated
from the redirection), ASK (once, to the node named, after ASKING), TRYAGAIN and CLUSTERDOWN (after
a pause), and a node that refuses the connection (the slot map is read again: during a failover
it names the dead master until its replica is elected). They are retried with growing pauses
for up to FAILOVER_WAIT_S, then the last error is raised. A connection lost after the commands were
sent raises at once (they may have run): the caller's retry policy decides, as on one Redis.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import redis
from redis.cluster import ClusterNode
from redis.connection import AbstractConnection
from redis.exceptions import (
    AskError,
    ClusterDownError,
    CrossSlotTransactionError,
    MovedError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)

from workers.redis.wire import Command, connections, packed, reply_or_error

RedisClient: TypeAlias = redis.Redis | redis.RedisCluster
"""Where stores live: one Redis, or a Redis Cluster (the index, DEDUPCRAWL_INDEX_URL)."""

# A failover takes the node timeout (cluster-node-timeout, 15 s by default) plus an election.
FAILOVER_WAIT_S = 30.0
PAUSES_S = (0.05, 0.1, 0.2, 0.5, 1.0)
REDIRECTIONS_AT_ONCE = 5  # MOVED/ASK retried without a pause; more in a row: the map is re-read
_REFUSED = (redis.ConnectionError, redis.TimeoutError, OSError)
_SCRIPTS = (b"EVALSHA", b"EVAL", "EVALSHA", "EVAL")
_NO_KEY = (b"MULTI", b"EXEC", b"ASKING", "MULTI", "EXEC", "ASKING")


def routed(
    cluster: redis.RedisCluster, commands: Sequence[Command], meanwhile: Callable[[], object] | None = None
) -> list[Any]:
    """Every command's reply, in order, each command sent to its slot's master; `meanwhile` runs
    once everything is sent."""
    return [replies[0] for replies in _exchange_units(cluster, [(c,) for c in commands], meanwhile)]


def transaction(cluster: redis.RedisCluster, commands: Sequence[Command]) -> list[Any]:
    """The replies of MULTI, `commands`, EXEC on the master of their one slot."""
    slots = {cluster.keyslot(key) for key in map(first_key, commands) if key is not None}
    if len(slots) > 1:
        raise CrossSlotTransactionError(f"a transaction over keys of {len(slots)} cluster slots")
    return _exchange_units(cluster, [(("MULTI",), *commands, ("EXEC",))])[0]


def first_key(command: Command) -> Any:
    """The key a command is routed by: a script's first KEYS entry, else its first argument."""
    name = command[0]
    if name in _SCRIPTS:
        return command[3] if int(command[2]) > 0 else None
    if name in _NO_KEY or len(command) < 2:
        return None
    return command[1]


@dataclass(slots=True)
class _Sent:
    conn: AbstractConnection
    units: list[int]
    asking: set[int]


class _Patience:
    """Retries until FAILOVER_WAIT_S has passed since the first: a redirection goes again at
    once (a few times in a row), anything else after a pause, growing."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + FAILOVER_WAIT_S
        self.pauses = 0
        self.redirections = 0

    def before_retry(self, errors: Sequence[BaseException], cluster: redis.RedisCluster) -> None:
        if time.monotonic() >= self.deadline:
            raise errors[-1]
        if all(isinstance(error, AskError) for error in errors) and self.redirections < REDIRECTIONS_AT_ONCE:
            self.redirections += 1
            return
        if self.redirections >= REDIRECTIONS_AT_ONCE:  # nodes that disagree: ask for the whole map
            _read_slot_map(cluster)
        time.sleep(PAUSES_S[min(self.pauses, len(PAUSES_S) - 1)])
        self.pauses += 1


def _exchange_units(
    cluster: redis.RedisCluster,
    units: Sequence[Sequence[Command]],
    meanwhile: Callable[[], object] | None = None,
) -> list[list[Any]]:
    """Each unit's replies; a unit (a command, or a transaction) goes to one node whole."""
    replies: list[list[Any]] = [[] for _ in units]
    todo, asked = list(range(len(units))), dict[int, ClusterNode]()
    patience: _Patience | None = None
    while True:
        refused = _send_and_read(cluster, units, todo, asked, replies, meanwhile)
        meanwhile = None
        todo, errors = _to_retry(cluster, replies, todo, refused, asked)
        if not todo:
            return replies
        patience = patience or _Patience()
        patience.before_retry(errors, cluster)


def _send_and_read(
    cluster: redis.RedisCluster,
    units: Sequence[Sequence[Command]],
    todo: Sequence[int],
    asked: dict[int, ClusterNode],
    replies: list[list[Any]],
    meanwhile: Callable[[], object] | None,
) -> dict[int, BaseException]:
    """Send `todo` to their nodes, then read every reply into `replies`; the units sent nowhere
    (their slot unserved, their node refusing the connection), with the reason."""
    sent: list[_Sent] = []
    refused: dict[int, BaseException] = {}
    with _in_step(sent):
        for node, mine in _by_node(cluster, units, todo, asked, refused):
            conn = connections.get(cluster.get_redis_connection(node).connection_pool)
            if _connected(conn, mine, refused):
                sent.append(_send(conn, units, mine, asked))
        if meanwhile:
            meanwhile()
        lost = [error for one in sent if (error := _read(one, units, replies))]
    if lost:
        raise lost[0]
    return refused


def _by_node(
    cluster: redis.RedisCluster,
    units: Sequence[Sequence[Command]],
    todo: Sequence[int],
    asked: dict[int, ClusterNode],
    refused: dict[int, BaseException],
) -> list[tuple[ClusterNode, list[int]]]:
    grouped: dict[str, tuple[ClusterNode, list[int]]] = {}
    for at in todo:
        try:
            node = asked.get(at) or _owner(cluster, units[at])
        except SlotNotCoveredError as exc:  # a slot map read mid-failover
            refused[at] = exc
            continue
        grouped.setdefault(node.name, (node, []))[1].append(at)
    return list(grouped.values())


def _owner(cluster: redis.RedisCluster, unit: Sequence[Command]) -> ClusterNode:
    key = next((k for k in map(first_key, unit) if k is not None), None)
    if key is None:
        return cluster.get_random_primary_node()
    return cluster.nodes_manager.get_node_from_slot(cluster.keyslot(key))


def _connected(conn: AbstractConnection, mine: list[int], refused: dict[int, BaseException]) -> bool:
    """Connect unless connected; a refusal means nothing was sent, so `mine` can go again."""
    try:
        conn.connect()
    except _REFUSED as exc:
        conn.disconnect()
        refused.update(dict.fromkeys(mine, exc))
        return False
    return True


def _send(
    conn: AbstractConnection,
    units: Sequence[Sequence[Command]],
    mine: list[int],
    asked: dict[int, ClusterNode],
) -> _Sent:
    """Send the units, ASKING before a redirected one (a failure here raises: some may have run)."""
    asking = {at for at in mine if at in asked}
    commands = [c for at in mine for c in ([("ASKING",)] if at in asking else []) + list(units[at])]
    try:
        conn.send_packed_command(packed(commands))
    except BaseException:
        conn.disconnect()
        raise
    return _Sent(conn, mine, asking)


def _read(sent: _Sent, units: Sequence[Sequence[Command]], replies: list[list[Any]]) -> BaseException | None:
    """Read one node's replies; a lost connection is dropped and returned (its commands may have run)."""
    try:
        for at in sent.units:
            if at in sent.asking:
                reply_or_error(sent.conn.read_response)
            replies[at] = [reply_or_error(sent.conn.read_response) for _ in units[at]]
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        sent.conn.disconnect()
        return exc
    return None


@contextlib.contextmanager
def _in_step(sent: Sequence[_Sent]) -> Iterator[None]:
    """On any other exception, drop every connection with replies unread."""
    try:
        yield
    except BaseException:
        for one in sent:
            one.conn.disconnect()
        raise


def _to_retry(
    cluster: redis.RedisCluster,
    replies: list[list[Any]],
    todo: Sequence[int],
    refused: dict[int, BaseException],
    asked: dict[int, ClusterNode],
) -> tuple[list[int], list[BaseException]]:
    """The units to send again, the slot map brought up to date for them; why, each."""
    again, errors = [], []
    asked.clear()
    for at in todo:
        problem = refused.get(at) or next((r for r in replies[at] if isinstance(r, _RETRIED)), None)
        if problem is None:
            continue
        again.append(at)
        errors.append(problem)
        if isinstance(problem, MovedError):
            cluster.nodes_manager.move_slot(problem)
        elif isinstance(problem, AskError):
            asked[at] = _node_at(cluster, problem.host, problem.port)
    if refused:
        _read_slot_map(cluster)
    return again, errors


_RETRIED = (MovedError, AskError, TryAgainError, ClusterDownError)


def _node_at(cluster: redis.RedisCluster, host: str, port: int) -> ClusterNode:
    node = cluster.get_node(host=host, port=port)
    if node is None:
        _read_slot_map(cluster)
        node = cluster.get_node(host=host, port=port) or ClusterNode(host, port)
    return node


def _read_slot_map(cluster: redis.RedisCluster) -> None:
    """Ask the live nodes for the slot map; none answering is one more reason to wait."""
    with contextlib.suppress(RedisClusterException, *_REFUSED):
        cluster.nodes_manager.initialize()
