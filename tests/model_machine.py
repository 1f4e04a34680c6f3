"""The model-based test's state machine: random sequences of add / change / delete / re-import /
reindex against the real Redis store, compared after every step with the oracle
(tests.model_oracle). `put_two` ingests two documents at once, each by an ingestor of its own in
a worker process of its own (forked: two workers racing on the store). Run by
tests/test_model.py (bounded) and bench/model.py (longer), through `run`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import tempfile
import traceback
from datetime import date
from pathlib import Path

import redis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from archive.capture import DocumentCapture
from synthetic.corpus import generate
from tests.engine_stack import new_ingestor
from tests.fault_rig import consistency_problems
from tests.ingest_rig import IngestRig
from tests.model_oracle import ModelDoc, compared, expected
from workers.engine import EngineConfig
from workers.errors import ConcurrentChange
from workers.flow.ingest import document_id
from workers.redis.direct_connection import RedisClient
from workers.redis.local_cluster import LocalCluster
from workers.settings import ENGINE

_FORK = multiprocessing.get_context("fork")
URLS = tuple(f"https://{site}/{n}.html" for site in ("a.example", "b.example") for n in range(3))
DAYS = (date(2016, 5, 1), date(2018, 9, 9), date(2018, 9, 9))  # two alike: ties


def _paragraphs(count: int, seed: int) -> tuple[str, ...]:
    """Paragraphs of 150 random hanzi (of the corpus' vocabulary): two share nothing by chance."""
    chars = sorted({c for d in generate(20, 1) for c in d.text if "\u4e00" <= c <= "\u9fff"})
    rng = random.Random(seed)
    return tuple("".join(rng.choice(chars) for _ in range(150)) + "。" for _ in range(count))


FILLERS = _paragraphs(6, 1)  # a document's own body (two documents alike share it)
SHARED = _paragraphs(3, 2)  # passages reused across documents
MARKS = ("", "甲", "乙乙丙")


# A text as the indexes it is made of (readable in a failing example): body paragraphs of
# FILLERS, reused passages of SHARED, and the mark inserted into the first paragraph.
Spec = tuple[tuple[int, ...], tuple[int, ...], int]
specs = st.tuples(
    st.lists(st.integers(0, len(FILLERS) - 1), min_size=1, max_size=2, unique=True).map(tuple),
    st.lists(st.integers(0, len(SHARED) - 1), max_size=2, unique=True).map(tuple),
    st.integers(0, len(MARKS) - 1),
)


def text_of(spec: Spec) -> str:
    """One or two body paragraphs, up to two reused passages, maybe a small edit."""
    body, reused, mark = spec
    paragraphs = [FILLERS[i] for i in body] + [SHARED[i] for i in reused]
    paragraphs[0] = paragraphs[0][:70] + MARKS[mark] + paragraphs[0][70:]
    return "\n".join(paragraphs)


class StoreMachine(RuleBasedStateMachine):
    """The store and, beside it, the documents it should hold now (`present`)."""

    redis_url = ""  # set by the runner: a real redis-server
    engine = ENGINE  # the runner's
    cluster: LocalCluster | None = None  # the runner's: the store on a Redis Cluster instead

    def connect(self) -> RedisClient:
        if self.cluster is None:
            return redis.Redis.from_url(self.redis_url)
        return self.cluster.client()

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.connect()
        if isinstance(self.connection, redis.RedisCluster):
            self.connection.flushall(target_nodes=redis.RedisCluster.PRIMARIES)
        else:
            self.connection.flushall()
        self.home = Path(tempfile.mkdtemp(prefix="model-"))
        self.queues = None if self.cluster is None else redis.Redis.from_url(self.redis_url)
        self.rig = IngestRig(self.connection, self.home, "model", self.engine, self.queues)
        self.present: dict[str, ModelDoc] = {}
        self.known: dict[str, tuple[Spec, date]] = {}  # the last text given each URL, deleted or not

    def teardown(self) -> None:
        self.connection.close()
        if self.queues is not None:
            self.queues.close()
        shutil.rmtree(self.home, ignore_errors=True)

    # operations ---------------------------------------------------------------------------

    @rule(url=st.sampled_from(URLS), spec=specs, day=st.sampled_from(DAYS))
    def put(self, url: str, spec: Spec, day: date) -> None:
        """Add a document, or change one (a re-import with a new text)."""
        text = text_of(spec)
        capture = self.rig.capture(url, text, day)
        self.rig.ingestor.ingest_capture(capture)
        self._stored(url, spec, day, capture)

    @rule(
        urls=st.lists(st.sampled_from(URLS), min_size=2, max_size=2, unique=True),
        specs=st.tuples(specs, specs),
        day=st.sampled_from(DAYS),
    )
    def put_two(self, urls: list[str], specs: tuple[Spec, Spec], day: date) -> None:
        """Two documents ingested at the same moment by two workers."""
        pair = (text_of(specs[0]), text_of(specs[1]))
        captures = [self.rig.capture(url, text, day) for url, text in zip(urls, pair, strict=True)]
        workers = [_FORK.Process(target=self._worker, args=(c,)) for c in captures]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0], "a worker failed (its traceback is above)"
        for url, spec, capture in zip(urls, specs, captures, strict=True):
            self._stored(url, spec, day, capture)

    @precondition(lambda self: self.present)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        url = data.draw(st.sampled_from(sorted(self.present)))
        assert self.rig.delete(url)
        del self.present[url]

    @precondition(lambda self: self.known)
    @rule(data=st.data())
    def reimport(self, data: st.DataObject) -> None:
        """The last text of a URL again: unchanged if present, back if it was deleted."""
        url = data.draw(st.sampled_from(sorted(self.known)))
        self.put(url, *self.known[url])

    @rule()
    def reindex(self) -> None:
        self.rig.reindex()

    # checks -------------------------------------------------------------------------------

    @invariant()
    def agrees_with_the_oracle(self) -> None:
        want = expected(self.present.values())
        problems = consistency_problems(self.rig.ingestor)
        assert problems == [], problems
        assert self.rig.clusters() == want.clusters
        assert [compared(r) for r in self.rig.export()] == want.export
        assert self.rig.sources() == want.sources

    # helpers ------------------------------------------------------------------------------

    def _worker(self, capture: DocumentCapture) -> None:
        """A forked worker: an ingestor of its own on a connection of its own; a concurrent
        change is retried, as RQ's Retry does; what else it raises fails the step (exit 1)."""
        status = 1
        try:
            connection, queues = self.connect(), self.queues and redis.Redis.from_url(self.redis_url)
            ingestor = new_ingestor(connection, self.rig.keys, self.rig.warc, self.engine, queues=queues)
            for attempt in range(5):
                try:
                    ingestor.ingest_capture(capture)
                    status = 0
                    break
                except ConcurrentChange:
                    if attempt == 4:
                        raise
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)  # no atexit handlers, no cleanup of the parent's inherited state

    def _stored(self, url: str, spec: Spec, day: date, capture: DocumentCapture) -> None:
        """What the store holds for `url` after this capture: its text unless unchanged."""
        self.known[url] = (spec, day)
        doc = ModelDoc(url, document_id(url), text_of(spec), day, capture.pages[0].fetched_at)
        old = self.present.get(url)
        if old is None or old.norm().display != doc.norm().display:
            self.present[url] = doc


def run(
    redis_url: str,
    examples: int,
    steps: int = 12,
    engine: EngineConfig = ENGINE,
    cluster: LocalCluster | None = None,
) -> None:
    """`examples` random sequences of up to `steps` operations, from a fixed seed, on the
    redis-server of `redis_url`; with `cluster`, the index is there (queues stay on the server)."""
    StoreMachine.redis_url, StoreMachine.engine, StoreMachine.cluster = redis_url, engine, cluster
    profile = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run_state_machine_as_test(StoreMachine, settings=profile)
