"""The stores and ingestor of the tests, opened the way the service opens them (one EngineConfig)."""

from __future__ import annotations

from pathlib import Path

import redis

from archive.keys import Keys
from dedup.lsh import LSHParams
from workers.engine import EngineConfig
from workers.flow.ingest import Ingestor
from workers.stores.cluster_store import ClusterConfig
from workers.stores.lsh_index import RedisLSHIndex
from workers.stores.store_set import Stores, open_stores

ENGINE = EngineConfig()  # the service's parameters (workers.settings builds the same)


def stores(
    connection: redis.Redis, keys: Keys, engine: EngineConfig = ENGINE, warc_dir: Path | None = None
) -> Stores:
    """`warc_dir`: the archive its documents' texts are read from (none: records without text)."""
    return open_stores(connection, keys, engine, warc_dir)


def new_ingestor(
    connection: redis.Redis,
    keys: Keys,
    warc_dir: Path,
    engine: EngineConfig = ENGINE,
    defer_trace: bool = False,
) -> Ingestor:
    return Ingestor(open_stores(connection, keys, engine, warc_dir), warc_dir, defer_trace=defer_trace)


def cluster_config(fingerprint_id: str) -> ClusterConfig:
    """A cluster store's config for signatures of `fingerprint_id`, the rest the service's."""
    return ClusterConfig(fingerprint_id, ENGINE.lsh, ENGINE.edge, ENGINE.fingerprint.num_perm)


def lsh_index(
    connection: redis.Redis, keys: Keys, fingerprint_id: str, params: LSHParams = ENGINE.lsh, **sizes: int
) -> RedisLSHIndex:
    """An LSH index of signatures of `fingerprint_id` (the service's permutations)."""
    return RedisLSHIndex(connection, keys, fingerprint_id, params, ENGINE.fingerprint.num_perm, **sizes)
