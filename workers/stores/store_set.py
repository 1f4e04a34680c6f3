"""`open_stores`: every store of one Redis and key prefix, built for one `EngineConfig`.

The one place the stores get their engine parameters: the ingest, the catalog, export, the web
UI and the CLI all open their stores here, so they read the indexes the ingest wrote. The stores
live on the index's connection (a Redis Cluster with DEDUPCRAWL_INDEX_URL); what they hand to
queues (trace jobs) and crawl runs go on the queues' connection, the same one by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from archive.keys import Keys
from archive.location import ArchiveRoot
from workers.engine import EngineConfig
from workers.errors import SettingsError
from workers.redis.connection import Connections
from workers.redis.slot_routing import RedisClient
from workers.settings import Settings
from workers.stores.cluster_store import ClusterConfig, ClusterStore
from workers.stores.document_texts import DocumentTexts
from workers.stores.lsh_index import RedisLSHIndex
from workers.stores.passage_index import PassageIndex
from workers.stores.store import Store
from workers.stores.text_files import TextFiles


@dataclass(frozen=True, slots=True)
class Stores:
    """The stores of one index, key prefix and engine configuration."""

    connection: RedisClient  # the index's
    queues: redis.Redis  # RQ queues and crawl runs
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
    num_perm = engine.fingerprint.num_perm
    return ClusterConfig(engine.fingerprint_id, engine.lsh, engine.edge, num_perm, engine.lsh_groups)


def stores_of(connections: Connections, settings: Settings) -> Stores:
    """The stores the process's settings name: their index, key prefix, engine and archive."""
    keys, index = Keys(settings.key_prefix), connections.index
    return open_stores(index, keys, settings.engine, archive_dir=settings.archive, queues=connections.queues)


def open_stores(
    connection: RedisClient,
    keys: Keys,
    engine: EngineConfig,
    *,
    archive_dir: ArchiveRoot | None = None,
    queues: redis.Redis | None = None,
) -> Stores:
    """`archive_dir`: where documents' texts and alignments are archived (a store opened
    without it reads no text); `queues`: where trace jobs go and crawl runs are read; None:
    `connection` (one Redis)."""
    files = TextFiles(connection, keys.text_files)
    texts = DocumentTexts(archive_dir, engine.text_cache_bytes, files) if archive_dir is not None else None
    plain = connection if queues is None else queues
    if not isinstance(plain, redis.Redis):
        problem = "an index on a Redis Cluster needs a plain Redis for queues"
        raise SettingsError("DEDUPCRAWL_INDEX_URL", problem)
    return Stores(
        connection=connection,
        queues=plain,
        keys=keys,
        engine=engine,
        documents=Store(connection, keys, engine.align.version, engine.links, texts),
        clusters=ClusterStore(connection, keys, cluster_config(engine)),
        passages=PassageIndex(
            connection, keys, engine.winnow, engine.sharing, engine.align.version, engine.passage_groups
        ),
    )
