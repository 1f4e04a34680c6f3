"""Model-based test (issue 17): random sequences of add / change / delete / re-import / reindex,
one or two workers at a time, against the real Redis store; after every step its clusters
(members, sizes, representatives), its export and each document's sources equal what the pure
engine works out from the documents present (tests.model_oracle). Bounded here, with a fixed
seed; `bench/model.py --examples N` runs the longer profile."""

from __future__ import annotations

import redis

from tests import model_machine
from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import ServerInfo
from workers.settings import ENGINE

EXAMPLES = 30
CLUSTER_EXAMPLES = 5


def test_the_store_agrees_with_the_model_after_every_step(redis_server: ServerInfo) -> None:
    model_machine.run(redis_server.tcp_url, EXAMPLES)


def test_the_store_agrees_with_the_model_on_a_redis_cluster(
    redis_server: ServerInfo, redis_cluster: LocalCluster
) -> None:
    """The same on a 3-master cluster: the state in one slot, the LSH index in tag groups
    spread over the masters (fewer examples: the cluster's round trips are slower)."""
    engine = ENGINE.on_cluster()
    model_machine.run(redis_server.tcp_url, CLUSTER_EXAMPLES, engine=engine, cluster=redis_cluster)
    held = [redis.Redis(port=node.port).dbsize() for node in redis_cluster.masters()]
    assert len(held) == 3 and all(held), held  # the last example's state, on every master
