"""The ingest's latency hiding, in one place: a document's Redis round trips, each overlapped
with client work that does not wait for its answer.

An ingest makes a handful of round trips a document; the server runs index scripts for about as
long as the client needs to winnow, pack or prepare a text. So work a later stage needs is
registered `early` and done while the next round trip is out, and the next capture of a job is
read, extracted and normalized (`aside`) while the longest one (the index scripts) is out. The
stages stay in order in `workers.flow.ingest`; only the waiting is shared.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from workers.flow.stage_tally import StageTally
from workers.redis.direct_connection import Call, round_trip
from workers.redis.slot_routing import RedisClient

T = TypeVar("T")


class RoundTrips:
    """One document's round trips (`send`), with the client work done meanwhile."""

    def __init__(
        self, connection: RedisClient, tally: StageTally, aside: Callable[[], object] | None = None
    ) -> None:
        """`aside`: another document's work, done during the first `send(..., long=True)` and
        not charged to this document's stages."""
        self.connection = connection
        self.tally = tally
        self._aside = aside
        self._early: list[Callable[[], object]] = []

    def early(self, work: Callable[[], T]) -> Callable[[], T]:
        """`work`, done during the next round trip; calling the result gives its value (done
        then, once, if no round trip came first)."""
        once = functools.cache(work)
        self._early.append(once)
        return once

    def send(self, calls: Sequence[Call[Any]], long: bool = False) -> list[Any]:
        """Each call's result, for one round trip (the calls are independent); the early work
        is done meanwhile, and the aside too when the server has `long` work to do."""
        work, self._early = self._early, []
        if long and self._aside is not None:
            work.append(self._discounted(self._aside))
            self._aside = None
        return round_trip(self.connection, calls, functools.partial(_each, work) if work else None)

    def _discounted(self, work: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            try:
                work()
            finally:
                self.tally.discount((time.perf_counter() - started) * 1000)

        return run


def _each(work: Sequence[Callable[[], object]]) -> None:
    for one in work:
        one()
