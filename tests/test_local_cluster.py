"""The local cluster starter on real redis-server processes: created, failed over, revived, stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import process_alive

pytestmark = pytest.mark.slow


def test_the_session_cluster_has_three_masters_each_with_a_replica(
    redis_cluster: LocalCluster, cluster_client: redis.RedisCluster
) -> None:
    masters = redis_cluster.masters()
    assert len(masters) == 3 and len(redis_cluster.live()) == 6
    assert {redis_cluster.replica_of(m).port for m in masters}.isdisjoint({m.port for m in masters})
    for i in range(200):  # keys spread over every master's slots
        cluster_client.set(f"k{i}", i)
    per_master = [redis.Redis(port=m.port).dbsize() for m in masters]
    assert sum(per_master) == 200 and all(per_master), per_master


def test_a_killed_master_is_replaced_by_its_replica_and_comes_back_as_one(tmp_path: Path) -> None:
    with LocalCluster(tmp_path) as cluster:
        client = cluster.client()
        for i in range(200):
            client.set(f"k{i}", i)
        victim = cluster.masters()[0]
        replica = cluster.replica_of(victim)
        killed = cluster.kill_master(victim)
        assert not process_alive(victim.pid) and killed.port == victim.port
        assert cluster.wait_promoted(killed).port == replica.port
        assert [client.get(f"k{i}") for i in range(200)] == [str(i).encode() for i in range(200)]
        revived = cluster.revive(killed)
        promoted = next(m for m in cluster.masters() if m.port == replica.port)
        assert cluster.replica_of(promoted).port == revived.port
        pids = [node.pid for node in cluster.live()]
        client.close()
    assert not any(process_alive(pid) for pid in pids)


def test_a_failed_start_leaves_no_node_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []

    def refuse(cluster: LocalCluster) -> None:
        started.extend(node.pid for node in cluster.nodes)
        raise RuntimeError("redis-cli refused")

    monkeypatch.setattr(LocalCluster, "_create", refuse)
    with pytest.raises(RuntimeError, match="refused"):
        LocalCluster(tmp_path).start()
    assert len(started) == 6 and not any(process_alive(pid) for pid in started)
