"""The service end to end: crawl the fixture web, two worker processes drain the queue, and the
result is checked against the generator's ground truth; then re-runs, imports and a reindex
must reproduce it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from archive.keys import Keys
from archive.warc import iter_documents
from dedup.clusters import pairwise_scores
from dedup.provenance import trace
from dedup.reasons import IngestStatus
from synthetic.corpus import CorpusDoc, generate
from tests.cli_process import clean_env, run_cli
from tests.crawl_runs import crawl_and_drain
from tests.engine_stack import new_ingestor
from tests.store_dump import dump
from workers.flow.ingest import Ingestor
from workers.redis.redis_server import ServerInfo

DOCS, SEED = 36, 7

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Service:
    home: Path
    env: dict[str, str]
    connection: redis.Redis
    truth: dict[str, dict[str, Any]]
    corpus: dict[str, CorpusDoc]

    def ingestor(self, prefix: str = "e2e") -> Ingestor:
        return new_ingestor(self.connection, Keys(prefix), self.home / "warc")


@pytest.fixture(scope="module")
def service(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One crawl of the fixture web and a queue drained by two worker processes."""
    home = tmp_path_factory.mktemp("home")
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_server.url, DEDUPCRAWL_KEY_PREFIX="e2e")
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    truth = crawl_and_drain(home, env, redis_server.url, DOCS, SEED)
    corpus = {doc.doc_id: doc for doc in generate(DOCS, SEED)}
    yield Service(home, env, connection, truth, corpus)
    connection.close()


def test_every_handed_off_document_is_stored_or_rejected(service: Service) -> None:
    ingestor = service.ingestor()
    stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
    rejected = {r.url for r in ingestor.store.rejections()}
    assert stored | rejected == set(service.truth)
    assert not stored & rejected
    assert len(rejected) <= 2, [(r.url, r.reason) for r in ingestor.store.rejections()]


def test_clusters_match_the_ground_truth(service: Service) -> None:
    ingestor = service.ingestor()
    stored = dump(ingestor.store, ingestor.clusters)
    predicted = {url: min(entry["cluster"]) for url, entry in stored.items()}
    truth = {url: info["family"] for url, info in service.truth.items() if url in stored}
    precision, recall = pairwise_scores(predicted, truth)
    assert precision >= 0.98 and recall >= 0.95, (precision, recall)


def test_traced_sources_are_true_sources(service: Service) -> None:
    """Every reused span's source is a document the ground truth names as a source of it."""
    ingestor = service.ingestor()
    url_of = {info["doc_id"]: url for url, info in service.truth.items()}
    right = total = 0
    for doc in ingestor.store.get_many(ingestor.store.document_ids()):
        assert doc is not None
        expected = {url_of[s.source_id] for s in service.corpus[service.truth[doc.url]["doc_id"]].spans}
        for span in trace(doc.witness, len(doc.display), ingestor.store.alignments(doc.doc_id)).spans:
            chars = span.end - span.start
            total += chars
            right += chars if span.source.witness.url in expected else 0
    assert total > 0
    assert right / total >= 0.95, right / total


def test_rerunning_every_ingest_job_changes_nothing(service: Service) -> None:
    ingestor = service.ingestor()
    before = dump(ingestor.store, ingestor.clusters)
    statuses = {ingestor.ingest_capture(capture).status for capture in iter_documents(service.home / "warc")}
    assert statuses == {IngestStatus.UNCHANGED}
    assert dump(ingestor.store, ingestor.clusters) == before


def test_warc_and_jsonl_imports_cluster_like_the_crawl(service: Service, tmp_path: Path) -> None:
    crawled = service.ingestor()
    expected = _clusters(dump(crawled.store, crawled.clusters))
    warc_home, jsonl_home = tmp_path / "warc-import", tmp_path / "jsonl-import"
    records = [
        {"url": d.url, "text": d.display, "title": d.title, "published": str(d.published or "")}
        for d in crawled.store.get_many(crawled.store.document_ids())
        if d
    ]
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    for home, prefix, source in (
        (warc_home, "wi", _one_warc(service.home / "warc", tmp_path)),
        (jsonl_home, "ji", jsonl),
    ):
        env = {**service.env, "DEDUPCRAWL_HOME": str(home), "DEDUPCRAWL_KEY_PREFIX": prefix}
        result = run_cli("import", str(source), "--json", env=env)
        assert result.returncode == 0, result.stderr
        imported = new_ingestor(service.connection, Keys(prefix), home / "warc")
        assert _clusters(dump(imported.store, imported.clusters)) == expected, prefix


def test_reindex_after_flush_reproduces_clusters_and_alignments(service: Service, tmp_path: Path) -> None:
    home = tmp_path / "copy"
    shutil.copytree(service.home / "warc", home / "warc")
    env = {**service.env, "DEDUPCRAWL_HOME": str(home), "DEDUPCRAWL_KEY_PREFIX": "ri"}
    assert run_cli("reindex", "--json", env=env).returncode == 0
    first = new_ingestor(service.connection, Keys("ri"), home / "warc")
    before = dump(first.store, first.clusters)
    for key in [k for pattern in Keys("ri").patterns for k in service.connection.scan_iter(match=pattern)]:
        service.connection.delete(key)
    result = run_cli("reindex", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert dump(first.store, first.clusters) == before
    crawled = service.ingestor()
    assert _clusters(before) == _clusters(dump(crawled.store, crawled.clusters))


def _clusters(stored: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(entry["cluster"]) for entry in stored.values()}


def _one_warc(warc_dir: Path, tmp_path: Path) -> Path:
    """The crawl's archive as one WARC file, as another tool would hand it over."""
    merged = tmp_path / "crawl.warc.gz"
    with merged.open("wb") as out:
        for path in sorted(warc_dir.rglob("*.warc.gz")):
            out.write(path.read_bytes())
    return merged


def test_status_counts_the_service(service: Service) -> None:
    result = run_cli("status", "--json", env=service.env)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts["documents"] == service.ingestor().store.count_documents() > 0
    assert os.path.isdir(service.home / "warc")
