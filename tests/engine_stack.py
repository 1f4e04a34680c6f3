"""The stores and ingestor of the tests, opened the way the service opens them (one EngineConfig)."""

from __future__ import annotations

from pathlib import Path

import redis
from redis.cluster import ClusterNode

from archive.keys import Keys
from dedup.lsh import LSHParams
from workers.engine import EngineConfig
from workers.flow.ingest import Ingestor
from workers.redis.direct_connection import RedisClient
from workers.stores.cluster_store import ClusterConfig
from workers.stores.lsh_index import RedisLSHIndex
from workers.stores.store_set import Stores, open_stores

ENGINE = EngineConfig()  # the service's parameters (workers.settings builds the same)
CLUSTER_SCHEME = "redis+cluster://"
CLUSTER_LSH_GROUPS = 6  # on the tests' 3-master cluster: two LSH groups a master


def stores(connection: redis.Redis, keys: Keys, engine: EngineConfig = ENGINE) -> Stores:
    return open_stores(connection, keys, engine)


def new_ingestor(
    connection: redis.Redis,
    keys: Keys,
    warc_dir: Path,
    engine: EngineConfig = ENGINE,
    defer_trace: bool = False,
) -> Ingestor:
    return Ingestor(open_stores(connection, keys, engine), warc_dir, defer_trace=defer_trace)


def cluster_config(fingerprint_id: str, lsh_groups: int = 1) -> ClusterConfig:
    """A cluster store's config for signatures of `fingerprint_id`, the rest the service's."""
    return ClusterConfig(fingerprint_id, ENGINE.lsh, ENGINE.edge, ENGINE.fingerprint.num_perm, lsh_groups)


def lsh_index(
    connection: redis.Redis, keys: Keys, fingerprint_id: str, params: LSHParams = ENGINE.lsh, **sizes: int
) -> RedisLSHIndex:
    """An LSH index of signatures of `fingerprint_id` (the service's permutations)."""
    return RedisLSHIndex(connection, keys, fingerprint_id, params, ENGINE.fingerprint.num_perm, **sizes)


def index_client(url: str) -> RedisClient:
    """A client of the index at `url`: a Redis Cluster's (`redis+cluster://host:port,...`, as
    workers.redis.local_cluster gives it), else one redis-server's."""
    if not url.startswith(CLUSTER_SCHEME):
        return redis.Redis.from_url(url)
    nodes = [address.rsplit(":", 1) for address in url.removeprefix(CLUSTER_SCHEME).split(",")]
    return redis.RedisCluster(startup_nodes=[ClusterNode(host, int(port)) for host, port in nodes])
