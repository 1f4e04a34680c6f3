"""`open_stores`: every store of one Redis and key prefix, built for one `EngineConfig`.

The one place the stores get their engine parameters: the ingest, the catalog, export, the web
UI and the CLI all open their stores here, so they read the indexes the ingest wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from archive.keys import Keys
from archive.location import ArchiveRoot
from workers.engine import EngineConfig
from workers.settings import Settings
from workers.stores.cluster_store import ClusterConfig, ClusterStore
from workers.stores.document_texts import DocumentTexts
from workers.stores.lsh_index import RedisLSHIndex
from workers.stores.passage_index import PassageIndex
from workers.stores.store import Store


@dataclass(frozen=True, slots=True)
class Stores:
    """The stores of one Redis, key prefix and engine configuration."""

    connection: redis.Redis
    keys: Keys
    engine: EngineConfig
    documents: Store
    clusters: ClusterStore
    passages: PassageIndex

    @property
    def lsh(self) -> RedisLSHIndex:
        return self.clusters.index


def cluster_config(engine: EngineConfig) -> ClusterConfig:
    """What the cluster store and its LSH index take of the engine's parameters."""
    return ClusterConfig(engine.fingerprint_id, engine.lsh, engine.edge, engine.fingerprint.num_perm)


def stores_of(connection: redis.Redis, settings: Settings) -> Stores:
    """The stores the process's settings name: their key prefix, their engine, their archive."""
    return open_stores(connection, Keys(settings.key_prefix), settings.engine, settings.archive)


def open_stores(
    connection: redis.Redis, keys: Keys, engine: EngineConfig, archive_dir: ArchiveRoot | None = None
) -> Stores:
    """`archive_dir`: where documents' texts and alignments are archived (a store opened
    without it reads no text)."""
    texts = DocumentTexts(archive_dir, engine.text_cache_bytes) if archive_dir is not None else None
    return Stores(
        connection=connection,
        keys=keys,
        engine=engine,
        documents=Store(connection, keys, engine.align.version, engine.links, texts),
        clusters=ClusterStore(connection, keys, cluster_config(engine)),
        passages=PassageIndex(connection, keys, engine.winnow, engine.sharing, engine.align.version),
    )
