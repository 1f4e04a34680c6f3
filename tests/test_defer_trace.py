"""Issue 22's bulk path: documents clustered with their trace deferred (`dedupcrawl import
--defer-trace`, DEDUPCRAWL_DEFER_TRACE for ingest jobs) give, once the trace queue is drained,
the export of the inline path; meanwhile every reader says which are not traced yet; a trace
request whose document changed or went is a no-op; a trace job whose worker died is run again.

The corpus is test_deterministic_export's: small enough that no candidate cut is reached, so
which pairs are aligned does not depend on the order the traces run in."""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue, Worker

import workers.flow.ingest
from archive.capture import DocumentCapture
from archive.keys import Keys
from crawler.queues import TRACE, unfinished
from dedup.reasons import TraceStatus
from dedup.records import NormalizedText
from synthetic.corpus import CorpusConfig, CorpusDoc, generate
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import new_ingestor, stores
from tests.fault_rig import (
    archive_imports,
    drain_with_workers,
    hand_off,
    kill_group,
    partition,
    service_env,
    start_worker,
    stop_started_workers,
    stop_worker,
    wait_for,
)
from tests.ingest_rig import IngestRig
from tests.test_deterministic_export import DAYS, DOCS, SEED
from workers.flow.ingest import Ingestor, document_id
from workers.flow.trace_queue import TraceRequest
from workers.read.export import Exporter
from workers.redis.redis_server import ServerInfo
from workers.web import create_app

SITES = Path(__file__).resolve().parents[1] / "examples" / "sites.toml"


def _corpus() -> list[CorpusDoc]:
    docs = [replace(d, published=DAYS[n % len(DAYS)]) for n, d in enumerate(generate(DOCS, SEED))]
    return docs + [replace(docs[0], url=docs[0].url.replace(".html", f"-{n}.html")) for n in (1, 2)]


def _export(env: dict[str, str], out: Path) -> bytes:
    done = run_cli("export", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def _status(env: dict[str, str]) -> dict[str, Any]:
    done = run_cli("status", "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _records(exported: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in exported.splitlines()]


def _queued(connection: redis.Redis) -> list[list[TraceRequest]]:
    """The trace queue's jobs, in order, as their requests."""
    jobs = Queue(TRACE, connection=connection).jobs
    return [[TraceRequest(*pair) for pair in job.args[0]] for job in jobs]


def test_ingest_jobs_with_the_trace_deferred_export_the_inline_bytes_once_drained(
    redis_server: ServerInfo, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    captures = archive_imports(home, _corpus())
    inline_env = service_env(home, redis_server.tcp_url)
    deferred_env = service_env(home, redis_server.tcp_url, DEDUPCRAWL_DEFER_TRACE="1")
    connection = redis.Redis.from_url(redis_server.tcp_url)
    try:
        connection.flushall()
        hand_off(connection, captures)
        drain_with_workers(inline_env)
        inline = _export(inline_env, tmp_path / "inline.jsonl")
        inline_clusters = partition(new_ingestor(connection, Keys("fault"), home / "warc"))
        connection.flushall()
        hand_off(connection, captures)
        drain_with_workers(deferred_env)
        waiting = _status(deferred_env)
        clustered = _export(deferred_env, tmp_path / "clustered.jsonl")
        clustered_only = partition(new_ingestor(connection, Keys("fault"), home / "warc"))
        drain_with_workers(deferred_env, queue=TRACE)
        drained = _status(deferred_env)
        traced = _export(deferred_env, tmp_path / "traced.jsonl")
    finally:
        connection.close()
    assert waiting["counts"]["untraced"] == len(captures) and waiting["queues"][TRACE]["queued"] >= 1
    assert clustered_only == inline_clusters  # the clusters at full speed are the inline ones
    assert all(r["traced"] is False and r["sources"] == [] for r in _records(clustered))
    assert drained["counts"]["untraced"] == 0 and drained["queues"][TRACE]["queued"] == 0
    assert inline.count(b"\n") >= 3 and any(r["sources"] for r in _records(inline))
    assert all(r["traced"] is True for r in _records(inline))
    assert traced == inline


def _without_captures(exported: bytes) -> list[dict[str, Any]]:
    """Records without their capture references: two imports archive the same lines as two
    captures (own ids, times and offsets)."""
    return [{k: v for k, v in record.items() if k != "captures"} for record in _records(exported)]


def test_import_with_defer_trace_clusters_now_and_traces_when_the_queue_drains(
    redis_server: ServerInfo, tmp_path: Path
) -> None:
    lines = tmp_path / "docs.jsonl"
    records = [{"url": d.url, "text": d.noisy, "published": str(d.published)} for d in _corpus()]
    lines.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    connection = redis.Redis.from_url(redis_server.tcp_url)
    exports = {}
    try:
        for mode, flags in (("inline", []), ("deferred", ["--defer-trace"])):
            connection.flushall()
            env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / mode), REDIS_URL=redis_server.tcp_url)
            done = run_cli("import", str(lines), "--json", *flags, env=env)
            assert done.returncode == 0, done.stderr[-2000:]
            summary = json.loads(done.stdout)
            assert summary["indexed"] == len(records)
            if flags:
                assert summary["untraced"] == len(records)
                assert _records(_export(env, tmp_path / "clustered.jsonl"))[0]["traced"] is False
                drained = run_cli("worker", "--burst", "--queues", TRACE, env=env, timeout=300)
                assert drained.returncode == 0, drained.stderr[-2000:]
                assert f"traces: traced {len(records)}" in drained.stderr, drained.stderr[-2000:]
            exports[mode] = _export(env, tmp_path / f"{mode}.jsonl")
    finally:
        connection.close()
    assert any(r["sources"] for r in _records(exports["inline"]))
    assert _without_captures(exports["deferred"]) == _without_captures(exports["inline"])


def _deferred_rig(connection: redis.Redis, home: Path, docs: list[CorpusDoc]) -> IngestRig:
    rig = IngestRig(connection, home, "deferred")
    rig.ingestor = new_ingestor(connection, rig.keys, rig.warc, defer_trace=True)
    for doc in docs:
        rig.put(doc.url, doc.noisy, doc.published)
    rig.ingestor.flush_traces()
    return rig


def _drain(rig: IngestRig) -> list[str]:
    """Every queued trace job run in process, in order; their results."""
    results = []
    for requests in _queued(rig.connection):
        results += rig.ingestor.trace_many(requests)
    Queue(TRACE, connection=rig.connection).empty()
    return [str(r) for r in results]


def test_the_web_page_api_and_export_say_which_documents_are_not_traced_yet(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    rig = _deferred_rig(redis_client, tmp_path, _corpus()[:4])
    client = TestClient(
        create_app(stores(redis_client, rig.keys, warc_dir=rig.warc), rig.warc, "token", SITES)
    )
    doc_id = document_id(_corpus()[1].url)

    def shown() -> tuple[str, dict[str, Any], list[bool]]:
        page = client.get(f"/documents/{doc_id}")
        api = client.get(f"/api/documents/{doc_id}")
        assert page.status_code == api.status_code == 200
        return page.text, api.json(), [r["traced"] for r in rig.export()]

    page, api, exported = shown()
    assert "not traced yet" in page and api["traced"] is False and exported == [False] * len(exported)
    assert _drain(rig) == [TraceStatus.TRACED] * 4
    page, api, exported = shown()
    assert "not traced yet" not in page and api["traced"] is True and exported == [True] * len(exported)
    assert rig.ingestor.store.count_untraced() == 0


def test_a_document_changed_or_deleted_while_its_trace_waits_is_not_traced(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    docs = _corpus()
    changed, gone = docs[2], docs[3]
    other_text = generate(12, SEED + 1)[11].noisy
    rig = _deferred_rig(redis_client, tmp_path / "deferred", docs)
    first = [request for job in _queued(redis_client) for request in job]
    rig.put(changed.url, other_text, changed.published)  # re-clustered, a request of its own
    assert rig.delete(gone.url)
    rig.ingestor.flush_traces()
    results = _drain(rig)
    store, passages = rig.ingestor.store, rig.ingestor.passages
    stale = {r.doc_id for r, result in zip(first, results, strict=False) if result == TraceStatus.STALE}
    assert stale == {document_id(d.url) for d in (changed, gone)}
    assert results[len(first) :] == [TraceStatus.TRACED]  # the changed page's new text
    assert store.count_untraced() == 0
    assert store.stats("traced") == {TraceStatus.TRACED: len(docs) - 1, TraceStatus.STALE: 2}
    assert passages.indexed(document_id(gone.url)) == 0
    inline = IngestRig(redis_client, tmp_path / "inline", "inline")
    for doc in docs:
        inline.put(doc.url, doc.noisy, doc.published)
    inline.put(changed.url, other_text, changed.published)
    assert inline.delete(gone.url)
    assert rig.sources() == inline.sources() and rig.clusters() == inline.clusters()
    assert any(rig.sources().values())


def test_a_document_deleted_in_the_middle_of_its_trace_leaves_nothing_behind(
    redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _corpus()[:4]
    rig = _deferred_rig(redis_client, tmp_path, docs)
    victim = document_id(docs[1].url)
    ingestor = rig.ingestor
    add_call = ingestor.passages.add_call

    def deleted_first(doc_id: str, norm: NormalizedText) -> Any:
        if doc_id == victim:  # checked as waiting, deleted before its passages go in
            assert rig.delete(docs[1].url)
        return add_call(doc_id, norm)

    monkeypatch.setattr(ingestor.passages, "add_call", deleted_first)
    (job,) = _queued(redis_client)
    traced, stale = TraceStatus.TRACED, TraceStatus.STALE
    assert ingestor.trace_many(job) == [traced, stale, traced, traced]
    assert ingestor.passages.indexed(victim) == 0
    assert not redis_client.hexists(ingestor.store._aln(victim), victim)
    assert all(w.doc_id != victim for d in docs for w, _ in ingestor.store.alignments(document_id(d.url)))
    assert ingestor.store.count_untraced() == 0


def test_requests_lost_with_their_process_are_made_again_by_the_next_ingest(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    docs = _corpus()[:5]
    rig = IngestRig(redis_client, tmp_path, "deferred")
    rig.ingestor = new_ingestor(redis_client, rig.keys, rig.warc, defer_trace=True)
    captures = [rig.capture(d.url, d.noisy, d.published) for d in docs]
    for capture in captures:
        rig.ingestor.ingest_capture(capture)
    rig.ingestor.trace_requests.clear()  # the process died before it enqueued them
    assert _queued(redis_client) == [] and rig.ingestor.store.count_untraced() == len(docs)
    for capture in captures:  # a retried job, or the import run again
        rig.ingestor.ingest_capture(capture)
    rig.ingestor.flush_traces()
    assert _drain(rig) == [TraceStatus.TRACED] * len(docs)
    assert rig.ingestor.store.count_untraced() == 0


def _started_by(connection: redis.Redis, worker: str) -> list[str]:
    registry = Queue(TRACE, connection=connection).started_job_registry
    found = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        name = connection.hget(f"rq:execution:{job_id}:{execution_id}", "worker_name")
        if name is not None and name.decode() == worker:
            found.append(job_id)
    return found


def _traced_all(connection: redis.Redis) -> bool:
    trace = Queue(TRACE, connection=connection)
    return not connection.scard(Keys("fault").untraced) and unfinished(trace) == 0


def _cluster_deferred(connection: redis.Redis, home: Path, captures: list[DocumentCapture]) -> Ingestor:
    ingestor = new_ingestor(connection, Keys("fault"), home / "warc", defer_trace=True)
    for capture in captures:
        ingestor.ingest_capture(capture)
    return ingestor


@pytest.mark.slow
def test_a_trace_job_whose_worker_was_killed_is_run_again(
    redis_server: ServerInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    connection = redis.Redis.from_url(redis_server.tcp_url)
    connection.flushall()
    # long speeches in families: a trace job takes long enough for the kill to land inside one
    captures = archive_imports(home, generate(24, seed=5, config=CorpusConfig(paragraphs=(40, 60))))
    # every trace job queued once both workers wait on the queue, so that each takes one
    monkeypatch.setattr(workers.flow.ingest, "JOB_DOCUMENTS", len(captures) + 1)
    ingestor = _cluster_deferred(connection, home, captures)
    assert Queue(TRACE, connection=connection).count == 0
    env = service_env(home, redis_server.tcp_url)
    victim = start_worker(env, "victim", queue=TRACE)
    survivor = start_worker(env, "survivor", queue=TRACE)
    try:
        names = {"victim", "survivor"}
        # idle: each is blocked on the queue, so the first job goes to one and the next to the other
        idle = lambda: names <= {w.name for w in Worker.all(connection=connection) if w.get_state() == "idle"}  # noqa: E731
        wait_for(idle, 120, "both to listen")
        ingestor.flush_traces()
        wait_for(lambda: bool(_started_by(connection, "victim")), 120, "the victim to start", poll=0.005)
        time.sleep(random.uniform(0.0, 0.005))
        kill_group(victim)
        wait_for(lambda: _traced_all(connection), 120, "the survivor to recover and trace the rest")
        log = stop_worker(survivor)
    finally:
        stop_started_workers()
    assert "recovered job" in log, log[-2000:]
    deferred = Exporter(stores(connection, Keys("fault"), warc_dir=home / "warc")).export().records
    reference = new_ingestor(connection, Keys("reference"), home / "warc")
    for capture in captures:
        reference.ingest_capture(capture)
    inline = Exporter(stores(connection, Keys("reference"), warc_dir=home / "warc")).export().records
    assert deferred == inline and any(r.sources for r in inline)
    connection.close()
