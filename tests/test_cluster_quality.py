"""Quality floors: noisy pages → real normalizer → fingerprints → Redis clusters vs ground truth."""

from __future__ import annotations

import redis

from archive.keys import Keys
from bench.quality import cluster_quality, normalized_corpus
from tests.engine_stack import cluster_config
from workers.stores.cluster_store import ClusterStore


def test_clusters_meet_the_quality_floors(redis_client: redis.Redis) -> None:
    corpus = normalized_corpus(n_docs=400, seed=23)
    store = ClusterStore(redis_client, Keys("q"), cluster_config(corpus.fingerprint_id))
    figures = cluster_quality(corpus, store)
    assert figures["documents"] >= 390  # nothing but genuinely too-short pages is rejected
    assert figures["cluster_precision"] >= 0.98
    assert figures["cluster_recall"] >= 0.95
    assert figures["exact_jaccard_recall"] >= 0.95
