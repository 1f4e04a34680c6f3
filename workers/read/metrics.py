"""Prometheus metrics read from Redis at scrape time, so every worker's work is counted once."""

from __future__ import annotations

from collections.abc import Iterator

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from archive.keys import Keys
from crawler.queues import depths
from workers.redis.slot_routing import RedisClient
from workers.stores.store import Store


class ServiceCollector(Collector):
    def __init__(self, queues: redis.Redis, keys: Keys, index: RedisClient | None = None) -> None:
        """`index`: the documents' Redis (DEDUPCRAWL_INDEX_URL's), None: `queues`."""
        self.queues = queues
        self.connection = queues if index is None else index
        self.keys = keys
        self.store = Store(self.connection, keys)

    def collect(self) -> Iterator[Metric]:
        yield self._queues()
        yield self._counted("dedupcrawl_jobs", "Ingest outcomes by kind.", "outcome", "outcome")
        yield self._counted("dedupcrawl_rejections", "Rejected inputs by stage:reason.", "rejected", "reason")
        yield self._counted(
            "dedupcrawl_removed", "Text pieces the normalizer removed, by reason.", "removed", "reason"
        )
        yield self._counted(
            "dedupcrawl_stage_seconds", "Time spent per ingest stage.", "stage_ms", "stage", 1e-3
        )
        yield self._counted("dedupcrawl_stage_runs", "Ingest stage executions.", "stage_runs", "stage")
        yield self._gauge(
            "dedupcrawl_documents", "Documents stored.", int(self.connection.zcard(self.keys.docs))
        )
        clusters = int(self.connection.zcount(self.keys.clusters, 2, "+inf"))
        yield self._gauge("dedupcrawl_clusters", "Clusters of two or more documents.", clusters)

    def _queues(self) -> Metric:
        family = GaugeMetricFamily(
            "dedupcrawl_queue_jobs", "RQ jobs by queue and state.", labels=["queue", "state"]
        )
        for name, states in depths(self.queues).items():
            for state, count in states.items():
                family.add_metric([name, state], count)
        return family

    def _counted(self, name: str, doc: str, stat: str, label: str, scale: float = 1.0) -> Metric:
        family = CounterMetricFamily(name, doc, labels=[label])
        for key, value in sorted(self.store.stats(stat).items()):
            family.add_metric([key], value * scale)
        return family

    def _gauge(self, name: str, doc: str, value: int) -> Metric:
        family = GaugeMetricFamily(name, doc)
        family.add_metric([], value)
        return family


def registry(queues: redis.Redis, keys: Keys, index: RedisClient | None = None) -> CollectorRegistry:
    built = CollectorRegistry(auto_describe=False)
    built.register(ServiceCollector(queues, keys, index))
    return built
