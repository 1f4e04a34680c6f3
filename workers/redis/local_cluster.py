"""A Redis Cluster of real redis-server processes on loopback ports, on this machine: N masters,
each with its replicas, made by `redis-cli --cluster create`. For the tests, the benchmarks and
trying the cluster index on one machine; a production cluster is run by its operator (the
docker-compose `cluster` profile).

    with LocalCluster(tmp_path, masters=3) as cluster:      # started, state ok, replicas in sync
        client = cluster.client()                           # a redis.RedisCluster
        os.environ["DEDUPCRAWL_INDEX_URL"] = cluster.url    # redis+cluster://127.0.0.1:p1,...
        killed = cluster.kill_master()                      # SIGKILL, returns the node
        promoted = cluster.wait_promoted(killed)            # its replica, now serving its slots
        cluster.revive(killed)                              # back, as a replica
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode as StartupNode
from redis.retry import Retry

from workers.errors import RedisUnavailable, SettingsError
from workers.redis.ports import port_is_free
from workers.redis.redis_server import RedisServer, redis_cli_binary, stop_process

# The cluster bus listens on the client port + 10000, so a node's port leaves room for it.
BUS_OFFSET = 10000
PORT_RANGE = (20000, 30000)
SLOTS = 16384
CLUSTER_CONFIG = """\
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout {timeout_ms}
"""


@dataclass(frozen=True, slots=True)
class Node:
    """One redis-server of the cluster; `pid` 0 once it was killed or stopped."""

    port: int
    pid: int
    data_dir: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class LocalCluster:
    """`masters` masters with `replicas` replicas each; `node_timeout_ms` is how long a silent
    master goes unnoticed before its replica is elected (small for tests)."""

    def __init__(
        self, data_dir: Path, masters: int = 3, replicas: int = 1, node_timeout_ms: int = 1000
    ) -> None:
        if masters < 3:
            raise SettingsError("masters", "a Redis Cluster needs at least 3 masters")
        self.data_dir = data_dir
        self.size = masters * (1 + replicas)
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.nodes: list[Node] = []
        self._served: dict[int, int] = {}  # a killed master's port: the first slot it served

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> LocalCluster:
        """Every node started, the cluster created, its state ok and every replica in sync."""
        try:
            self.nodes = [self._start_node(self.data_dir / f"node-{i}") for i in range(self.size)]
            self._create()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()  # no node outlives a failed start
            raise
        return self

    @property
    def url(self) -> str:
        """The DEDUPCRAWL_INDEX_URL of this cluster: every live node as a startup node."""
        return "redis+cluster://" + ",".join(node.address for node in self.live())

    def live(self) -> list[Node]:
        return [node for node in self.nodes if node.pid]

    def client(self, **kwargs: object) -> redis.RedisCluster:
        startup = [StartupNode("127.0.0.1", node.port) for node in self.live()]
        return redis.RedisCluster(startup_nodes=startup, **kwargs)  # type: ignore[arg-type]

    def masters(self) -> list[Node]:
        """The live nodes that are masters now, in the order of the slots they serve."""
        return [node for node in self.live() if _info(node, "replication").get("role") == "master"]

    def replica_of(self, master: Node) -> Node:
        """A live replica of `master` (the first one listed)."""
        master_id = _myself(master).get("node_id")
        for node in self.live():
            if node != master and _myself(node).get("master_id") == master_id:
                return node
        raise RedisUnavailable(f"no live replica of {master.address}")

    def kill_master(self, master: Node | None = None) -> Node:
        """SIGKILL a master (the first by default): no AOF flush, no goodbye to the cluster."""
        victim = master or self.masters()[0]
        self._served[victim.port] = _first_slot(victim)
        return self.kill(victim)

    def kill(self, victim: Node) -> Node:
        """SIGKILL any node (a replica too)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim.pid, signal.SIGKILL)
        stop_process(victim.pid)  # reaped, so the port is free for a revive
        self.nodes = [replace(node, pid=0) if node == victim else node for node in self.nodes]
        return victim

    def wait_promoted(self, killed: Node, timeout: float = 30.0) -> Node:
        """The replica that took over `killed`'s slots, once every live node serves them again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            promoted = self._successor(killed)
            if promoted and self._state_ok():
                return promoted
            time.sleep(0.05)
        raise RedisUnavailable(f"no replica of {killed.address} took over within {timeout:.0f} s")

    def revive(self, killed: Node, timeout: float = 60.0) -> Node:
        """Restart a killed node on its port and data: it rejoins as a replica of its successor."""
        server = RedisServer(killed.data_dir, port=killed.port, extra_config=self._config())
        revived = replace(killed, pid=server.start().pid)
        self.nodes = [revived if node.port == killed.port else node for node in self.nodes]
        self.wait_ready(timeout)
        return revived

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every live node says cluster_state:ok and every live replica is in sync."""
        deadline = time.monotonic() + timeout
        while not (self._state_ok() and self._replicas_synced()):
            if time.monotonic() > deadline:
                raise RedisUnavailable(f"the cluster at {self.url} was not ready within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop every node still running (SIGTERM to all at once, then each waited for)."""
        for node in self.live():
            with contextlib.suppress(ProcessLookupError):
                os.kill(node.pid, signal.SIGTERM)
        for node in self.live():
            stop_process(node.pid)
        self.nodes = [replace(node, pid=0) for node in self.nodes]

    def _config(self) -> str:
        return CLUSTER_CONFIG.format(timeout_ms=self.node_timeout_ms)

    def _start_node(self, data_dir: Path) -> Node:
        for _ in range(5):  # a free port can be taken between picking and binding it
            port = _free_node_port()
            try:
                info = RedisServer(data_dir, port=port, extra_config=self._config()).start()
            except (RedisUnavailable, SettingsError):
                continue
            return Node(port=port, pid=info.pid, data_dir=data_dir)
        raise RedisUnavailable(f"no cluster node started in {data_dir}")

    def _create(self) -> None:
        command = [redis_cli_binary(), "--cluster", "create", *(n.address for n in self.nodes)]
        command += ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            last = (done.stdout + done.stderr).strip().splitlines()[-1:]
            raise RedisUnavailable(f"redis-cli --cluster create failed: {' '.join(last)}")

    def _state_ok(self) -> bool:
        for node in self.live():
            info = _cluster_info(node)
            if info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != str(SLOTS):
                return False
        return True

    def _replicas_synced(self) -> bool:
        for node in self.live():
            replication = _info(node, "replication")
            linked = (replication.get("master_link_status"), replication.get("master_sync_in_progress"))
            if replication.get("role") == "slave" and linked != ("up", "0"):
                return False
        return True

    def _successor(self, killed: Node) -> Node | None:
        """The live master that every live node sees serving the first slot `killed` served."""
        slot = self._served[killed.port]
        views = {_slot_owner(node, slot) for node in self.live()}
        owner = views.pop() if len(views) == 1 else None
        return next((node for node in self.live() if node.address == owner), None)


def _free_node_port() -> int:
    while True:
        port = random.randrange(*PORT_RANGE)
        if port_is_free(port) and port_is_free(port + BUS_OFFSET):
            return port


def _client(node: Node) -> redis.Redis:
    # No retries: a dead node is an answer here, not a reason to wait.
    no_retry = Retry(NoBackoff(), 0)
    return redis.Redis(port=node.port, socket_timeout=2, socket_connect_timeout=1, retry=no_retry)


def _info(node: Node, section: str) -> dict[str, str]:
    """INFO `section` as strings; empty when the node does not answer."""
    client = _client(node)
    try:
        return {str(k): str(v) for k, v in client.info(section).items()}
    except redis.RedisError:
        return {}
    finally:
        client.close()


def _cluster_info(node: Node) -> dict[str, str]:
    reply = _ask(node, "CLUSTER INFO")
    return {str(k): str(v) for k, v in reply.items()} if isinstance(reply, dict) else {}


def _cluster_nodes(node: Node) -> dict[str, dict[str, object]]:
    """CLUSTER NODES as `node` sees them, by address: node_id, flags, master_id, slots."""
    reply = _ask(node, "CLUSTER NODES")
    return reply if isinstance(reply, dict) else {}


def _ask(node: Node, command: str) -> object:
    """A command's parsed reply; None when the node does not answer."""
    client = _client(node)
    try:
        return client.execute_command(command)
    except redis.RedisError:
        return None
    finally:
        client.close()


def _myself(node: Node) -> dict[str, object]:
    return next((n for n in _cluster_nodes(node).values() if "myself" in str(n["flags"])), {})


def _slot_ranges(fields: dict[str, object]) -> list[tuple[int, int]]:
    ranges = fields.get("slots")
    return [(int(low), int(high)) for low, high in ranges] if isinstance(ranges, list) else []


def _first_slot(node: Node) -> int:
    ranges = _slot_ranges(_myself(node))
    if not ranges:
        raise RedisUnavailable(f"cluster node {node.address} serves no slot")
    return ranges[0][0]


def _slot_owner(viewer: Node, slot: int) -> str | None:
    """The address of the master that `viewer` sees serving `slot`, unless it is failing."""
    for address, fields in _cluster_nodes(viewer).items():
        flags = str(fields["flags"])
        serves = any(low <= slot <= high for low, high in _slot_ranges(fields))
        if serves and "master" in flags and "fail" not in flags:
            return address.replace("myself", "")
    return None
