"""A master of the index's Redis Cluster SIGKILLed mid-ingest: its replica is promoted, the
`dedupcrawl worker` processes carry on, and no document acknowledged (seen indexed) more than
1 s before the kill is lost. The index is a 3-master, 3-replica cluster (DEDUPCRAWL_INDEX_URL);
the queues are on a plain redis-server (REDIS_URL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue

from archive.keys import Keys
from crawler.queues import INGEST, unfinished
from synthetic.corpus import generate
from tests.engine_stack import ENGINE
from tests.fault_rig import (
    PREFIX,
    archive_imports,
    consistency_problems,
    hand_off,
    service_env,
    start_worker,
    stop_started_workers,
    stop_worker,
    wait_for,
)
from workers.flow.ingest import Ingestor
from workers.redis.local_cluster import LocalCluster, Node
from workers.redis.redis_server import ServerInfo
from workers.redis.slot_routing import RedisClient
from workers.stores.store_set import open_stores

pytestmark = pytest.mark.slow
KEYS = Keys(PREFIX)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path / "cluster") as started:
        yield started
    stop_started_workers()  # before the nodes go: a worker outliving its test is killed either way


def _acknowledged(index: RedisClient, seen: dict[str, float]) -> None:
    """Note when each document was first seen indexed (what a client would have been told)."""
    ids = [d.decode() for d in index.zrange(KEYS.docs, 0, -1) if d.decode() not in seen]
    pipe = index.pipeline(transaction=False)
    for doc_id in ids:
        pipe.hget(KEYS.doc(doc_id), "state")
    now = time.monotonic()
    for doc_id, state in zip(ids, pipe.execute(), strict=True):
        if state == b"indexed":
            seen[doc_id] = now


def _states(index: RedisClient, doc_ids: list[str]) -> list[bytes | None]:
    pipe = index.pipeline(transaction=False)
    for doc_id in doc_ids:
        pipe.hget(KEYS.doc(doc_id), "state")
    return list(pipe.execute())


def _settled(queues: redis.Redis, index: RedisClient, expected: int) -> bool:
    """Every document stored or rejected in the index, no ingest job unfinished."""
    done = int(index.zcard(KEYS.docs)) + int(index.zcard(KEYS.rejections))
    return done >= expected and unfinished(Queue(INGEST, connection=queues)) == 0


def _master_of_the_documents(cluster: LocalCluster, index: redis.RedisCluster) -> Node:
    port = index.nodes_manager.get_node_from_slot(index.keyslot(KEYS.docs)).port
    return next(node for node in cluster.masters() if node.port == port)


def test_a_master_killed_mid_ingest_loses_nothing_acknowledged_and_workers_carry_on(
    cluster: LocalCluster, redis_server: ServerInfo, redis_client: redis.Redis, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    captures = archive_imports(home, generate(80, seed=11))
    index = cluster.client()
    env = service_env(home, redis_server.tcp_url, DEDUPCRAWL_INDEX_URL=cluster.url)
    workers = [start_worker(env, f"w{i}") for i in range(2)]
    seen: dict[str, float] = {}

    def acknowledged(count: int, older_than: float = 0.0) -> bool:
        _acknowledged(index, seen)
        return sum(at < time.monotonic() - older_than for at in seen.values()) >= count

    # The first documents get old enough to be safe; the second batch is in flight at the kill.
    hand_off(redis_client, captures[:20])
    wait_for(lambda: acknowledged(3, older_than=1.2), 120, "3 documents indexed more than a second ago")
    hand_off(redis_client, captures[20:])
    wait_for(lambda: acknowledged(len(seen) + 1), 120, "the second batch under way", poll=0.01)
    assert len(seen) < len(captures), "the ingest finished before the kill"
    victim = _master_of_the_documents(cluster, index)
    killed_at = time.monotonic()
    cluster.kill_master(victim)
    promoted = cluster.wait_promoted(victim)
    old = sorted(doc_id for doc_id, at in seen.items() if at < killed_at - 1.0)
    assert old and _states(index, old) == [b"indexed"] * len(old)
    try:
        wait_for(lambda: _settled(redis_client, index, len(captures)), 120, "the ingest to finish", poll=0.2)
    except AssertionError as exc:
        raise AssertionError([w.poll() for w in workers], [stop_worker(w)[-3000:] for w in workers]) from exc
    assert [w.poll() for w in workers] == [None, None], [stop_worker(w)[-3000:] for w in workers]
    logs = [stop_worker(w) for w in workers]
    assert _master_of_the_documents(cluster, index).port == promoted.port != victim.port
    warc = home / "warc"
    ingestor = Ingestor(open_stores(index, KEYS, ENGINE, archive_dir=warc, queues=redis_client), warc)
    assert consistency_problems(ingestor) == [], logs
    stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
    rejected = {r.url for r in ingestor.store.rejections()}
    assert stored | rejected == {c.doc_url for c in captures}
    assert _states(index, sorted(seen)) == [b"indexed"] * len(seen)  # nothing acknowledged was lost at all
    index.close()
