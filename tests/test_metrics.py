"""Prometheus metrics come from Redis, so they count every worker's work."""

from __future__ import annotations

import json
from pathlib import Path

import redis
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from archive.keys import Keys
from archive.warc import WarcArchive
from dedup.records import Rejection
from synthetic.corpus import generate
from tests.engine_stack import new_ingestor
from workers.flow.imports import Importer
from workers.read.metrics import registry

KEYS = Keys("m")


def _samples(connection: redis.Redis) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry(connection, KEYS)).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_documents_clusters_outcomes_and_stages(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    docs = generate(24, seed=3)
    lines = [json.dumps({"url": d.url, "text": d.noisy}) for d in docs] + ['{"url": "nope"}']
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    archive = WarcArchive(tmp_path / "warc", "import")
    for item in Importer(archive).jsonl(path):
        if isinstance(item, Rejection):
            ingestor.store.reject(item)
        else:
            ingestor.ingest_capture(item)
    archive.close()
    samples = _samples(redis_client)
    assert samples[("dedupcrawl_documents", ())] == ingestor.store.count_documents() == 24
    multi = sum(1 for _, size in ingestor.clusters.largest(1000) if size > 1)
    assert samples[("dedupcrawl_clusters", ())] == multi > 0
    assert samples[("dedupcrawl_jobs_total", (("outcome", "indexed"),))] == 24
    assert samples[("dedupcrawl_rejections_total", (("reason", "import:bad_url"),))] == 1
    assert samples[("dedupcrawl_stage_runs_total", (("stage", "align"),))] == 24
    assert samples[("dedupcrawl_stage_seconds_total", (("stage", "extract"),))] >= 0
    assert samples[("dedupcrawl_queue_jobs", (("queue", "ingest"), ("state", "queued")))] == 0
