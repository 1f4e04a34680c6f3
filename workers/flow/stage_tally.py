"""One document's stage timings and counts, written to Redis once at its end (a job's, once at
the job's end): what `/metrics` and `dedupcrawl ops` show per stage and reason."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence


class StageTally:
    """Milliseconds per stage and counts per name, for one document."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.counts: dict[str, dict[str, float]] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.timings.setdefault(name, 0.0)  # the stage a rejection is charged to
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += (time.perf_counter() - started) * 1000

    def count(self, stat: str, name: str) -> None:
        by_name = self.counts.setdefault(stat, {})
        by_name[name] = by_name.get(name, 0) + 1

    def last_stage(self) -> str:
        return next(reversed(self.timings), "read")

    def discount(self, ms: float) -> None:
        """Time spent inside the current stage on another document's work."""
        self.timings[self.last_stage()] = self.timings.get(self.last_stage(), 0.0) - ms

    def flat(self) -> dict[str, dict[str, float]]:
        return {**self.counts, "stage_ms": self.timings, "stage_runs": dict.fromkeys(self.timings, 1)}


def summed(tallies: Sequence[StageTally]) -> dict[str, dict[str, float]]:
    total: dict[str, dict[str, float]] = {}
    for tally in tallies:
        for stat, by_name in tally.flat().items():
            into = total.setdefault(stat, {})
            for name, amount in by_name.items():
                into[name] = into.get(name, 0) + amount
    return total
