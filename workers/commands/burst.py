"""What `dedupcrawl worker --burst` shows: a progress bar over the jobs waiting when it started,
and a summary at the end (jobs done and failed, documents by ingest outcome).

The counts are read from Redis (queues, failed registries, the ingest outcome counters), so
they include what other workers did meanwhile; the bar runs in a thread of the supervising
process, which only waits for its children."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rq import Queue

from archive.keys import Keys
from crawler.queues import in_hand, queue
from workers.commands.progress import progress_bar
from workers.redis.connection import Connections
from workers.stores.store import Store

REFRESH_S = 0.3


@dataclass(frozen=True, slots=True)
class QueueCounts:
    waiting: int  # queued + started
    failed: int
    outcomes: dict[str, float]
    traces: dict[str, float]  # deferred traces done or found stale (workers.flow.trace_queue)


def waiting(queues: Sequence[Queue]) -> int:
    """Jobs not done yet: queued, taken or started (the progress of a drain is the drop of this)."""
    return sum(map(in_hand, queues))


def counts(connections: Connections, keys: Keys, names: Sequence[str]) -> QueueCounts:
    queues = [queue(name, connections.queues) for name in names]
    store = Store(connections.index, keys)
    return QueueCounts(
        waiting=waiting(queues),
        failed=sum(q.failed_job_registry.count for q in queues),
        outcomes=store.stats("outcome"),
        traces=store.stats("traced"),
    )


@contextmanager
def watched(connections: Connections, keys: Keys, names: Sequence[str]) -> Iterator[None]:
    """Draw the bar while the body works the queues, then print the summary."""
    before = counts(connections, keys, names)
    stop = threading.Event()
    with progress_bar() as bar:
        task = bar.add_task(f"worker {','.join(names)}", total=before.waiting, detail="")

        def refresh() -> QueueCounts:
            now = counts(connections, keys, names)
            done = max(0, before.waiting - now.waiting)
            total = max(before.waiting, now.waiting)
            bar.update(task, total=total, completed=done, detail=_failed(before, now))
            return now

        def keep_refreshing() -> None:
            while not stop.wait(REFRESH_S):
                refresh()

        thread = threading.Thread(target=keep_refreshing, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            after = refresh()
    typer.echo(summary(before, after), err=True)


def summary(before: QueueCounts, after: QueueCounts) -> str:
    done = max(0, before.waiting - after.waiting)
    documents = _since(before.outcomes, after.outcomes) or "none"
    traces = _since(before.traces, after.traces)
    tail = f"; traces: {traces}" if traces else ""
    return (f"worker --burst: {done} jobs done, {after.failed - before.failed} failed, "
            f"{after.waiting} left; documents: {documents}{tail}")  # fmt: skip


def _since(before: dict[str, float], after: dict[str, float]) -> str:
    """`indexed 8, unchanged 2`: the counters' growth, by name."""
    grown = {k: v - before.get(k, 0) for k, v in after.items()}
    return ", ".join(f"{k} {v:g}" for k, v in sorted(grown.items()) if v)


def _failed(before: QueueCounts, now: QueueCounts) -> str:
    failed = now.failed - before.failed
    return f"{failed} failed" if failed else ""
