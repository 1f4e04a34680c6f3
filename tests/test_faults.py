"""Faults with real processes: SIGKILL a worker mid-job, SIGKILL redis-server mid-ingest, Redis
out of memory, a crawl killed half way, damaged WARC files. Each test runs its own redis-server
(its own data directory), so it can kill and restart it. Those with an `index` run twice: the
index beside the queues, then on the session's 3-master Redis Cluster (DEDUPCRAWL_INDEX_URL; a
master killed there: tests/test_cluster_failover.py)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.job import Job

from archive.keys import Keys
from archive.warc import iter_documents
from crawler.handoff import INGEST_FUNCTION, batch_job_id, captures_of, ingest_job_id, job_batches
from crawler.queues import INGEST
from synthetic.corpus import CorpusConfig, generate
from synthetic.fixture_web.process import FixtureServer
from tests.cli_process import run_cli
from tests.crawl_runs import crawl_all, start_crawl
from tests.engine_stack import new_ingestor, stores
from tests.fault_rig import (
    PREFIX,
    archive_imports,
    archive_pages,
    consistency_problems,
    hand_off,
    kill_group,
    partition,
    service_env,
    settled,
    start_worker,
    stop_started_workers,
    stop_worker,
    wait_for,
)
from workers.engine import EngineConfig
from workers.flow import jobs
from workers.flow.ingest import Ingestor
from workers.flow.recovery import recover
from workers.redis.direct_connection import RedisClient
from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import RedisServer, ServerInfo, stop_process
from workers.settings import ENGINE
from workers.stores.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    yield
    stop_started_workers()


@dataclass
class OwnRedis:
    data_dir: Path
    info: ServerInfo

    @property
    def url(self) -> str:
        return self.info.url

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def kill(self) -> None:
        import os
        import signal

        os.kill(self.info.pid, signal.SIGKILL)
        wait_for(lambda: not _alive(self.info.pid), 10, "redis-server to die")

    def restart(self) -> None:
        """A new server on the same data directory, once it has replayed its AOF (it answers
        while loading, with BusyLoadingError: a read then failed the test under load)."""
        self.info = RedisServer(self.data_dir, port=self.info.port).start()
        client = redis.Redis.from_url(self.info.url)
        try:
            wait_for(lambda: _loaded(client), 60, "the restarted server to load its AOF", poll=0.05)
        finally:
            client.close()


def _loaded(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.BusyLoadingError:
        return False


def _alive(pid: int) -> bool:
    from workers.redis.redis_server import process_alive

    return process_alive(pid)


@pytest.fixture()
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis", RedisServer(tmp_path / "redis").start())
    yield server
    stop_process(server.info.pid)


@dataclass(frozen=True)
class Index:
    """Where a test's index lives: on its own redis-server beside the queues (`client` None),
    or on the session's 3-master cluster (DEDUPCRAWL_INDEX_URL; queues stay on the server)."""

    env: dict[str, str]
    client: RedisClient | None = None
    engine: EngineConfig = ENGINE

    def of(self, queues: redis.Redis) -> RedisClient:
        return queues if self.client is None else self.client


@pytest.fixture(params=["redis", "cluster"])
def index(request: pytest.FixtureRequest) -> Index:
    if request.param == "redis":
        return Index({})
    cluster: LocalCluster = request.getfixturevalue("redis_cluster")
    client = request.getfixturevalue("cluster_client")
    engine = ENGINE.on_cluster()  # what the workers' settings give
    return Index({"DEDUPCRAWL_INDEX_URL": cluster.url}, client, engine)


def _ingestor(
    connection: redis.Redis, home: Path, prefix: str = PREFIX, index: Index | None = None
) -> Ingestor:
    """On the index's store (the queues on `connection`)."""
    where = index or Index({})
    queues = None if where.client is None else connection
    return new_ingestor(where.of(connection), Keys(prefix), home / "warc", where.engine, queues=queues)


def _started_by(connection: redis.Redis, worker: str) -> list[str]:
    """Job ids the worker named `worker` is executing now."""
    registry = Queue(INGEST, connection=connection).started_job_registry
    found = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        name = connection.hget(f"rq:execution:{job_id}:{execution_id}", "worker_name")
        if name is not None and _text(name) == worker:
            found.append(job_id)
    return found


def test_worker_killed_mid_job_is_recovered_and_stored_once(
    own_redis: OwnRedis, index: Index, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    connection = own_redis.client()
    # Families (merges happen while the worker dies) of long speeches: a job takes tens of
    # milliseconds, so the kill below lands inside one.
    docs = generate(24, seed=5, config=CorpusConfig(paragraphs=(40, 60)))
    captures = archive_imports(home, docs)
    env = service_env(home, own_redis.url, **index.env)
    victim, survivor = start_worker(env, "victim"), start_worker(env, "survivor")
    # Both listening first: a survivor that warmed up sooner could otherwise drain both jobs
    # before the victim takes one (seen once under CI load).
    wait_for(lambda: {"victim", "survivor"} <= _listening(connection), 120, "both workers to listen")
    hand_off(connection, captures)
    wait_for(lambda: bool(_started_by(connection, "victim")), 120, "the victim to start a job", poll=0.005)
    killed = _started_by(connection, "victim")
    time.sleep(random.uniform(0.0, 0.005))  # somewhere inside the job
    kill_group(victim)
    done = lambda: settled(connection, len(captures), index.of(connection))  # noqa: E731
    wait_for(done, 120, "the survivor to recover and drain")
    log = stop_worker(survivor)
    ingestor = _ingestor(connection, home, index=index)
    assert consistency_problems(ingestor) == []
    stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
    rejected = {r.url for r in ingestor.store.rejections()}
    assert stored | rejected == {c.doc_url for c in captures} and not stored & rejected
    assert "recovered job" in log, log[-2000:]
    killed_urls = {c.doc_url for job_id, batch in job_batches(captures) if job_id in killed for c in batch}
    assert killed_urls and killed_urls <= stored | rejected
    reference = _ingestor(connection, home, "reference", index)
    for capture in captures:
        reference.ingest_capture(capture)
    assert partition(ingestor) == partition(reference)
    connection.close()


def _listening(connection: redis.Redis) -> set[str]:
    return {worker.name for worker in Worker.all(connection=connection)}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _acknowledged(connection: redis.Redis, seen: dict[str, float]) -> None:
    """Note when each document was first seen indexed (what a client would have been told)."""
    keys = Keys(PREFIX)
    ids = [_text(d) for d in connection.zrange(keys.docs, 0, -1) if _text(d) not in seen]
    pipe = connection.pipeline(transaction=False)
    for doc_id in ids:
        pipe.hget(keys.doc(doc_id), "state")
    now = time.monotonic()
    for doc_id, state in zip(ids, pipe.execute(), strict=True):
        if state == b"indexed":
            seen[doc_id] = now


def test_redis_killed_mid_ingest_loses_nothing_acknowledged_and_resumes(
    own_redis: OwnRedis, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    connection = own_redis.client()
    captures = archive_imports(home, generate(80, seed=11))
    env = service_env(home, own_redis.url)
    workers = [start_worker(env, f"w{i}") for i in range(2)]
    seen: dict[str, float] = {}

    def acknowledged(count: int, older_than: float = 0.0) -> bool:
        _acknowledged(connection, seen)
        return sum(at < time.monotonic() - older_than for at in seen.values()) >= count

    # The first documents get old enough to be safe; the second batch is in flight at the kill.
    hand_off(connection, captures[:20])
    wait_for(lambda: acknowledged(3, older_than=1.2), 120, "3 documents indexed more than a second ago")
    hand_off(connection, captures[20:])
    wait_for(lambda: acknowledged(len(seen) + 1), 120, "the second batch under way", poll=0.01)
    assert len(seen) < len(captures), "the ingest finished before the kill"
    killed_at = time.monotonic()
    own_redis.kill()
    time.sleep(1.5)  # the workers meet a dead server mid-job
    own_redis.restart()
    after = redis.Redis.from_url(own_redis.url)
    old = [doc_id for doc_id, at in seen.items() if at < killed_at - 1.0]
    pipe = after.pipeline(transaction=False)
    for doc_id in old:
        pipe.hget(Keys(PREFIX).doc(doc_id), "state")
    assert old and pipe.execute() == [b"indexed"] * len(old)
    try:
        wait_for(lambda: settled(after, len(captures)), 90, "the workers to resume and drain", poll=0.2)
    except AssertionError as exc:
        state = (_queue_state(after), [w.poll() for w in workers], [stop_worker(w)[-3000:] for w in workers])
        raise AssertionError(state) from exc
    assert [w.poll() for w in workers] == [None, None], [stop_worker(w)[-3000:] for w in workers]
    logs = [stop_worker(w) for w in workers]
    ingestor = _ingestor(after, home)
    assert consistency_problems(ingestor) == [], logs
    stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
    rejected = {r.url for r in ingestor.store.rejections()}
    assert stored | rejected == {c.doc_url for c in captures}
    after.close()
    connection.close()


def _queue_state(connection: redis.Redis) -> dict[str, object]:
    ingest = Queue(INGEST, connection=connection)
    return {
        "queued": ingest.count,
        "started": ingest.started_job_registry.get_job_and_execution_ids(cleanup=False),
        "failed": ingest.failed_job_registry.get_job_count(cleanup=False),
        "scheduled": ingest.scheduled_job_registry.get_job_count(cleanup=False),
        "docs": int(connection.zcard(Keys(PREFIX).docs)),
        "rejections": int(connection.zcard(Keys(PREFIX).rejections)),
        "workers": [_text(k) for k in connection.keys("rq:worker:*")],
    }


def test_redis_full_gives_clear_errors_evicts_nothing_and_recovers(tmp_path: Path) -> None:
    data_dir, home = tmp_path / "redis", tmp_path / "home"
    server = RedisServer(data_dir, maxmemory="64mb").start()
    try:
        connection = redis.Redis.from_url(server.url)
        captures = archive_imports(home, generate(30, seed=13))
        env = service_env(home, server.url)
        worker = start_worker(env, "w")
        hand_off(connection, captures)
        wait_for(lambda: connection.zcard(Keys(PREFIX).docs) >= 5, 120, "5 documents stored")
        fillers = _fill(connection)
        before = {_text(d) for d in connection.zrange(Keys(PREFIX).docs, 0, -1)}
        with pytest.raises(redis.OutOfMemoryError):
            connection.set("probe", "x")
        extra = tmp_path / "extra.jsonl"
        extra.write_text(json.dumps({"url": "https://example.org/extra", "text": "会议精神传达落实。" * 40}))
        result = run_cli("import", str(extra), env=env)
        assert result.returncode != 0 and "Redis is full" in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        time.sleep(2)  # the worker meets the full server
        assert worker.poll() is None
        connection.delete(*fillers)
        wait_for(lambda: settled(connection, len(captures)), 120, "the worker to resume once memory is freed")
        log = stop_worker(worker)
        assert "Redis is full" in log, log[-3000:]
        assert int(connection.info("stats")["evicted_keys"]) == 0
        ingestor = _ingestor(connection, home)
        problems = consistency_problems(ingestor)
        assert problems == [], (problems, log[-6000:])  # the worker's log: what happened to the job
        stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
        assert before <= set(ingestor.store.document_ids())
        assert stored | {r.url for r in ingestor.store.rejections()} == {c.doc_url for c in captures}
        connection.close()
    finally:
        stop_process(server.pid)


def _fill(connection: redis.Redis) -> list[str]:
    """Strings until Redis refuses a write, then maxmemory set 2 MB under what is used, so
    memory other clients free meanwhile does not make room; the strings' names."""
    names: list[str] = []
    for size in (2**20, 2**14):
        while len(names) < 5000:
            try:
                connection.set(f"filler:{len(names)}", b"x" * size)
            except redis.OutOfMemoryError:
                break
            names.append(f"filler:{len(names)}")
    memory = connection.info("memory")
    counted = int(memory["used_memory"]) - int(memory.get("mem_not_counted_for_evict", 0))
    connection.config_set("maxmemory", counted - 2**21)
    return names


def test_crawl_killed_half_way_resumes_and_indexes_nothing_twice(
    own_redis: OwnRedis, index: Index, tmp_path: Path
) -> None:
    connection, warc_dir = own_redis.client(), tmp_path / "warc"
    # A crawl delay that spreads the documents over several of the pipeline's 1 s hand-offs (at
    # 0.05 s one hand-off sometimes took all 11 before the kill)
    with FixtureServer(docs=36, seed=3, crawl_delay=0.15, slow_s=0.2) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        wenku = {url for url in web.truth() if "/wenku/" in url}
        first = start_crawl("fixture-wenku", sites, own_redis.url, PREFIX, warc_dir)
        handed = lambda: len(list(connection.scan_iter(match=Keys(PREFIX).handoff("*"))))  # noqa: E731
        wait_for(lambda: handed() >= 3 or first.poll() is not None, 60, "three documents handed off")
        first.kill()  # SIGKILL: no spider_closed, no run record
        first.communicate(timeout=30)
        assert 3 <= handed() < len(wenku), "the crawl was not killed half way"
        runs = crawl_all(["fixture-wenku"], sites, own_redis.url, PREFIX, warc_dir)
        assert runs["fixture-wenku"]["status"] == "succeeded", runs
    queue = Queue(INGEST, connection=connection)
    job_urls = [capture.doc_url for job in queue.jobs for capture in captures_of(job)]
    assert len(job_urls) == len(set(job_urls)) == len(wenku)
    ingestor = _ingestor(connection, tmp_path, index=index)
    jobs.configure(ingestor)
    try:
        SimpleWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
    finally:
        jobs.configure(None)
    assert consistency_problems(ingestor) == []
    stored = [d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d]
    rejected = [r.url for r in ingestor.store.rejections()]
    assert sorted(stored + rejected) == sorted(wenku)
    connection.close()


def _damage(data: bytes, how: str) -> bytes:
    """The archive cut off in its last quarter, or with garbage written over its middle."""
    if how == "cut":
        return data[: len(data) * 3 // 4]
    middle = len(data) // 2
    return data[:middle] + bytes(range(256)) * 8 + data[middle + 2048 :]


def _readable_documents(warc_dir: Path) -> set[str]:
    return {c.doc_url for c in iter_documents(warc_dir, lambda error: None)}


@pytest.mark.parametrize("how", ["cut", "corrupt"])
def test_damaged_warc_file_readable_records_are_used_the_rest_reported(
    own_redis: OwnRedis, index: Index, tmp_path: Path, how: str
) -> None:
    home = tmp_path / "home"
    captures = archive_pages(home, generate(12, seed=2))
    (original,) = sorted((home / "warc").rglob("*.warc.gz"))
    damaged_home = tmp_path / "damaged"
    damaged = damaged_home / "warc" / original.relative_to(home / "warc")
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(_damage(original.read_bytes(), how))
    readable = _readable_documents(damaged_home / "warc")
    assert 0 < len(readable) <= len(captures)

    result = run_cli("reindex", "--json", env=service_env(damaged_home, own_redis.url, **index.env))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["unreadable_files"] == 1
    ingestor = _ingestor(own_redis.client(), damaged_home, index=index)
    stored = {d.url for d in ingestor.store.get_many(ingestor.store.document_ids()) if d}
    rejections = ingestor.store.rejections()
    assert readable <= stored | {r.url for r in rejections}, (result.stdout, rejections[:3])
    # the damaged stretch once, and each document whose page lay in it, by name
    lost = len(readable) - len(stored)
    assert sorted(r.reason for r in rejections) == ["unreadable_capture"] * lost + ["unreadable_warc"]
    if how == "corrupt":  # reading resumed after the damage in the middle
        assert captures[-1].doc_url in stored

    env = service_env(tmp_path / "import", own_redis.url, DEDUPCRAWL_KEY_PREFIX="imported", **index.env)
    result = run_cli("import", str(damaged), "--json", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = _ingestor(own_redis.client(), tmp_path / "import", "imported", index)
    urls = {d.url for d in imported.store.get_many(imported.store.document_ids()) if d}
    rejections = imported.store.rejections()
    assert readable <= urls | {r.url for r in rejections}, (result.stdout, rejections[:3])
    assert sorted(r.reason for r in rejections) == ["incomplete_document"] * len(readable - urls) + [
        "unreadable_warc"
    ]
    if how == "corrupt":
        assert captures[-1].doc_url in urls


def _die_in(
    connection: redis.Redis, queue: Queue, job_id: str, attempt: int, index: RedisClient | None = None
) -> list[str]:
    """`job_id` is taken by a worker that dies; maintenance recovers it. Returns what it recovered."""
    dequeued = queue.dequeue_any([queue], None, connection=connection)
    assert dequeued is not None and dequeued[0].id == job_id
    connection.zadd(queue.started_job_registry.key, {f"{job_id}:run{attempt}": time.time() + 3600})
    connection.hset(f"rq:execution:{job_id}:run{attempt}", "worker_name", f"gone-{attempt}")
    return recover(connection, [queue], PREFIX, index)


def test_a_job_recovered_from_its_dead_worker_is_requeued_once(
    redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that dies after its job entered the started registry and before its job process
    took it off RQ's intermediate list leaves it in both; recovered from the registry, it must
    not be found again in the list a maintenance pass later (a second copy, or with no retry
    left, a failed job and a worker_lost rejection for a document that is being ingested)."""
    [capture] = archive_imports(tmp_path, generate(1, seed=9))
    queue = Queue(INGEST, connection=redis_client)
    job_id = ingest_job_id(capture)
    queue.enqueue(INGEST_FUNCTION, [capture.to_dict()], job_id=job_id, retry=Retry(max=1))
    assert _die_in(redis_client, queue, job_id, 0) == [job_id]
    monkeypatch.setattr("workers.flow.recovery.STARTING_S", 0.0)
    assert recover(redis_client, [queue], PREFIX) == []  # the pass that first sees the list
    time.sleep(0.01)
    assert recover(redis_client, [queue], PREFIX) == []
    assert queue.job_ids == [job_id] and Job.fetch(job_id, connection=redis_client).retries_left == 0
    assert Store(redis_client, Keys(PREFIX)).rejection(job_id) is None


def test_a_job_that_kills_its_worker_every_time_ends_as_a_worker_lost_rejection(
    redis_client: redis.Redis, index: Index, tmp_path: Path
) -> None:
    """A batch abandoned by a dead worker goes back as one job per document not yet ingested
    (the one before the culprit was, and is left alone); a single job is requeued while its
    retries last, then failed and its document rejected. The others are not taken down."""
    done, culprit, innocent = archive_imports(tmp_path, generate(3, seed=8))
    ingestor = _ingestor(redis_client, tmp_path, index=index)
    assert ingestor.ingest_capture(done).status == "indexed"
    queue = Queue(INGEST, connection=redis_client)
    captures = [done, culprit, innocent]
    batch_id = batch_job_id([ingest_job_id(c) for c in captures])
    queue.enqueue(INGEST_FUNCTION, [c.to_dict() for c in captures], job_id=batch_id, retry=Retry(max=1))
    assert _die_in(redis_client, queue, batch_id, 0, index.client) == [batch_id]
    assert queue.job_ids == [ingest_job_id(culprit), ingest_job_id(innocent)]
    assert [captures_of(job) for job in queue.jobs] == [[culprit], [innocent]]
    assert not redis_client.exists(f"rq:job:{batch_id}")
    single = ingest_job_id(culprit)
    for attempt in range(2):  # the batch's one retry left: requeued once, then failed
        assert _die_in(redis_client, queue, single, attempt, index.client) == [single]
    assert Job.fetch(single, connection=redis_client).get_status() == "failed"
    assert queue.job_ids == [ingest_job_id(innocent)]
    store = stores(index.of(redis_client), Keys(PREFIX), index.engine, queues=redis_client).documents
    rejection = store.rejection(single)
    assert rejection is not None and rejection.reason == "worker_lost" and rejection.url == culprit.doc_url
    assert store.rejection(ingest_job_id(done)) is None and store.rejection(ingest_job_id(innocent)) is None
