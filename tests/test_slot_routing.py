"""The direct connection on a real Redis Cluster: calls routed by slot to every master in one
round trip, scripts loaded where missing, MOVED and ASK followed, transactions kept to one slot,
a failover waited out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import CrossSlotTransactionError

from workers.redis import slot_routing
from workers.redis.direct_connection import Call, LuaScript, pipelined, round_trip, run_call
from workers.redis.local_cluster import LocalCluster

pytestmark = pytest.mark.slow

TAGS = [f"{{t{i}}}" for i in range(12)]  # hash tags that spread over all three masters


def _add(script: LuaScript, key: str, amount: int) -> Call[int]:
    return script.call([key], [1, "n", amount], int)


def _count(client: redis.RedisCluster, key: str) -> float:
    return float(client.hget(key, "n") or 0)


def _master_ports(cluster: LocalCluster, client: redis.RedisCluster, keys: list[str]) -> set[int]:
    return {client.nodes_manager.get_node_from_slot(client.keyslot(k)).port for k in keys}


def test_a_round_trip_reaches_every_master_and_answers_in_order(
    redis_cluster: LocalCluster, cluster_client: redis.RedisCluster
) -> None:
    script = LuaScript(cluster_client, "counters_add.lua")
    keys = [f"{tag}:stats" for tag in TAGS]
    assert _master_ports(redis_cluster, cluster_client, keys) == {m.port for m in redis_cluster.masters()}
    for key in keys:  # every node has the script (one that lacks it runs it after the others)
        script(keys=[key], args=[1, "n", 0])
    calls: list[Call[object]] = [_add(script, key, i) for i, key in enumerate(keys)]
    calls += [Call((("HGET", key, "n"), ("EXISTS", key)), lambda r: r) for key in keys]
    seen: list[int] = []
    results = round_trip(cluster_client, calls, lambda: seen.append(1))
    assert results[: len(keys)] == [1] * len(keys) and seen == [1]
    # the reads went in the same round trip, each after its own key's script on its node
    assert results[len(keys) :] == [[str(i).encode(), 1] for i in range(len(keys))]
    assert pipelined(cluster_client, [("HGET", key, "n") for key in keys]) == [
        str(i).encode() for i in range(12)
    ]


def _flush_scripts(cluster: LocalCluster) -> None:
    for node in cluster.live():
        redis.Redis(port=node.port).script_flush()


def test_scripts_are_loaded_on_a_node_that_lost_them(
    redis_cluster: LocalCluster, cluster_client: redis.RedisCluster
) -> None:
    script = LuaScript(cluster_client, "counters_add.lua")
    keys = [f"{tag}:stats" for tag in TAGS]
    _flush_scripts(redis_cluster)
    assert round_trip(cluster_client, [_add(script, k, 1) for k in keys]) == [1] * len(keys)
    _flush_scripts(redis_cluster)
    assert script(keys=[keys[0]], args=[1, "n", 1]) == 1
    assert [_count(cluster_client, k) for k in keys] == [2.0] + [1.0] * (len(keys) - 1)


def test_a_transaction_stays_in_one_slot(cluster_client: redis.RedisCluster) -> None:
    same = [("HSET", "{a}:x", "f", 1), ("HSET", "{a}:y", "f", 2), ("HGET", "{a}:x", "f")]
    assert pipelined(cluster_client, same, atomic=True) == [1, 1, b"1"]
    with pytest.raises(CrossSlotTransactionError):
        pipelined(cluster_client, [("SET", "{a}:x", 1), ("SET", "{b}:x", 1)], atomic=True)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        pipelined(cluster_client, [("SET", "{a}:s", 1), ("HGET", "{a}:s", "f")], atomic=True)


def _node_id(port: int) -> str:
    return str(redis.Redis(port=port).execute_command("CLUSTER MYID").decode())


def _keys_in_slot(port: int, slot: int) -> int:
    return int(redis.Redis(port=port).execute_command("CLUSTER COUNTKEYSINSLOT", slot))


def _set_slot(ports: list[int], slot: int, *how: str) -> None:
    for port in ports:
        redis.Redis(port=port).execute_command("CLUSTER SETSLOT", slot, *how)


def test_ask_and_moved_redirections_are_followed(
    redis_cluster: LocalCluster, cluster_client: redis.RedisCluster
) -> None:
    key = "{moving}:n"
    slot = cluster_client.keyslot(key)
    source = cluster_client.nodes_manager.get_node_from_slot(slot).port
    target = next(m.port for m in redis_cluster.masters() if m.port != source)
    _set_slot([target], slot, "IMPORTING", _node_id(source))
    _set_slot([source], slot, "MIGRATING", _node_id(target))
    script = LuaScript(cluster_client, "counters_add.lua")
    # the key is not on the source: it answers ASK, the call goes on to the target
    assert run_call(cluster_client, _add(script, key, 5)) == 1
    assert [_keys_in_slot(port, slot) for port in (source, target)] == [0, 1]
    _set_slot([m.port for m in redis_cluster.masters()], slot, "NODE", _node_id(target))
    # the client's slot map still names the source: MOVED, then the target
    assert cluster_client.nodes_manager.get_node_from_slot(slot).port == source
    assert run_call(cluster_client, _add(script, key, 1)) == 1
    assert cluster_client.nodes_manager.get_node_from_slot(slot).port == target
    assert pipelined(cluster_client, [("HGET", key, "n")]) == [b"6"]


@pytest.fixture()
def own_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path) as cluster:
        yield cluster


def test_a_killed_master_costs_the_calls_in_flight_then_its_replica_serves(own_cluster: LocalCluster) -> None:
    client = own_cluster.client()
    script = LuaScript(client, "counters_add.lua")
    keys = [f"{tag}:stats" for tag in TAGS]
    assert round_trip(client, [_add(script, k, 1) for k in keys]) == [1] * len(keys)
    victim = own_cluster.masters()[0]
    on_victim = [
        k for k in keys if client.nodes_manager.get_node_from_slot(client.keyslot(k)).port == victim.port
    ]
    own_cluster.kill_master(victim)
    # sent on a connection to the dead node: may have run, so it is not sent again
    with pytest.raises(redis.ConnectionError):
        round_trip(client, [_add(script, k, 1) for k in keys])
    # the next call finds the node refusing, waits for the replica's election, and goes there
    assert round_trip(client, [_add(script, k, 1) for k in on_victim]) == [1] * len(on_victim)
    promoted = own_cluster.wait_promoted(victim)
    assert {client.nodes_manager.get_node_from_slot(client.keyslot(k)).port for k in on_victim} == {
        promoted.port
    }
    # the other masters ran their share of the failed round trip; the dead one ran none of it
    assert [_count(client, k) for k in keys] == [2.0] * len(keys)
    client.close()


def test_a_cluster_that_never_recovers_raises_after_the_wait(
    own_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = own_cluster.client()
    monkeypatch.setattr(slot_routing, "FAILOVER_WAIT_S", 1.0)
    key = "{gone}:n"
    owner = client.nodes_manager.get_node_from_slot(client.keyslot(key)).port
    victim = next(m for m in own_cluster.masters() if m.port == owner)
    own_cluster.kill(own_cluster.replica_of(victim))  # no replica left to take over
    own_cluster.kill_master(victim)
    with pytest.raises((redis.ConnectionError, redis.exceptions.RedisClusterException)):
        pipelined(client, [("GET", key)])
    client.close()


def test_redirections_that_never_settle_give_up_after_the_wait(
    cluster_client: redis.RedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slot map that a MOVED never corrects (nodes disagreeing) is not retried forever."""
    monkeypatch.setattr(slot_routing, "FAILOVER_WAIT_S", 1.0)
    key = "{stale}:n"
    slot = cluster_client.keyslot(key)
    owner = cluster_client.nodes_manager.get_node_from_slot(slot)
    wrong = next(node for node in cluster_client.get_primaries() if node.name != owner.name)
    monkeypatch.setattr(cluster_client.nodes_manager, "move_slot", lambda error: None)
    monkeypatch.setattr(cluster_client.nodes_manager, "initialize", lambda *a, **k: None)
    monkeypatch.setattr(cluster_client.nodes_manager, "get_node_from_slot", lambda *a, **k: wrong)
    with pytest.raises(redis.exceptions.MovedError):
        pipelined(cluster_client, [("GET", key)])


def test_the_routing_key_of_each_command() -> None:
    assert slot_routing.first_key(("EVALSHA", "sha", 2, "k1", "k2", "a")) == "k1"
    assert slot_routing.first_key(("EVALSHA", "sha", 0, "a")) is None
    assert slot_routing.first_key(("HGETALL", "k")) == "k"
    assert slot_routing.first_key(("MULTI",)) is None
