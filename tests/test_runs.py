"""Crawl run records: the verdict comes from the stats; the keys match archive.keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from archive.keys import Keys
from crawler.runs import RunStore, judge, summarize

GOOD: dict[str, Any] = {
    "finish_reason": "finished",
    "downloader/request_count": 40,
    "downloader/response_count": 40,
    "downloader/response_status_count/200": 38,
    "downloader/response_status_count/404": 1,
    "downloader/response_status_count/500": 1,
    "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 2,
    "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
    "dedupcrawl/refused/private_address": 1,
    "dedupcrawl/pages": 30,
    "dedupcrawl/captures": 40,
    "dedupcrawl/handed_off": 12,
    "dedupcrawl/skipped_unchanged": 3,
    "robotstxt/forbidden": 2,
}


def test_summary_counts_errors_by_kind() -> None:
    summary = summarize(GOOD)
    assert summary.errors == {
        "exception:TimeoutError": 1,
        "http_404": 1,
        "http_500": 1,
        "refused:private_address": 1,
    }
    assert (summary.pages, summary.captures, summary.handed_off, summary.skipped_unchanged) == (30, 40, 12, 3)
    assert summary.robots_forbidden == 2 and summary.finish_reason == "finished"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"finish_reason": "shutdown"}, "finish reason shutdown"),
        ({"finish_reason": None}, "finish reason"),
        ({"downloader/response_count": 0}, "no responses"),
        ({"dedupcrawl/failed/capture_failed": 2}, "capture failed"),
        ({"dedupcrawl/failed/handoff_failed": 1}, "handoff failed"),
        ({"downloader/response_status_count/500": 30}, "responses were errors"),
    ],
)
def test_a_crawl_fails_by_its_stats_whatever_its_exit_code(change: dict[str, Any], reason: str) -> None:
    stats = {k: v for k, v in {**GOOD, **change}.items() if v is not None}  # None: the stat is missing
    ok, verdict = judge(summarize(stats))
    assert not ok and reason in verdict
    assert judge(summarize(GOOD)) == (True, "ok")


def test_run_records_round_trip_and_are_indexed(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, "t")
    run = store.start("site-1", "site", now=datetime(2024, 1, 2, tzinfo=UTC))
    assert store.load("site-1") == run and run.status == "running"
    done = store.finish(run, GOOD)
    loaded = store.load("site-1")
    assert loaded == done and loaded.succeeded and loaded.finished_at is not None
    assert redis_client.zscore(Keys("t").crawls, "site-1") == run.started_at.timestamp()
    assert store.load("missing") is None
