"""Crawl run records in Redis: id, times, stats and a verdict judged from the stats."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from archive.keys import Keys
from dedup.reasons import RunStatus

# Finish reasons of a crawl that ran to its end (closespider_* are limits the operator set).
CLEAN_FINISH = ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout")
# A crawl whose responses are mostly errors did not work, whatever its exit code.
MAX_ERROR_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class RunStats:
    requests: int = 0
    responses: int = 0
    pages: int = 0
    captures: int = 0
    documents: int = 0
    truncated: int = 0
    incomplete: int = 0
    handed_off: int = 0
    skipped_unchanged: int = 0
    skipped_recent: int = 0
    not_modified: int = 0
    robots_forbidden: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    finish_reason: str = ""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True, slots=True)
class CrawlRun:
    run_id: str
    site: str
    started_at: datetime
    finished_at: datetime | None = None
    status: RunStatus = RunStatus.RUNNING
    verdict: str = ""
    stats: RunStats = field(default_factory=RunStats)

    @property
    def succeeded(self) -> bool:
        return self.status == RunStatus.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data


def summarize(stats: Mapping[str, Any]) -> RunStats:
    """Turn Scrapy's stats (plus the crawler's `dedupcrawl/*` counters) into a run summary."""
    get = lambda key: int(stats.get(key, 0) or 0)  # noqa: E731 - a local shorthand
    return RunStats(
        requests=get("downloader/request_count"),
        responses=get("downloader/response_count"),
        pages=get("dedupcrawl/pages"),
        captures=get("dedupcrawl/captures"),
        documents=get("dedupcrawl/documents"),
        truncated=get("dedupcrawl/documents_truncated"),
        incomplete=get("dedupcrawl/documents_incomplete"),
        handed_off=get("dedupcrawl/handed_off"),
        skipped_unchanged=get("dedupcrawl/skipped_unchanged"),
        skipped_recent=get("dedupcrawl/skipped_recent"),
        not_modified=get("downloader/response_status_count/304"),
        robots_forbidden=get("robotstxt/forbidden"),
        errors=errors_by_kind(stats),
        finish_reason=str(stats.get("finish_reason", "")),
    )


def errors_by_kind(stats: Mapping[str, Any]) -> dict[str, int]:
    errors: dict[str, int] = {}
    for key, value in stats.items():
        kind = _error_kind(key)
        if kind and value:
            errors[kind] = errors.get(kind, 0) + int(value)
    return dict(sorted(errors.items()))


def _error_kind(key: str) -> str | None:
    if key.startswith("downloader/response_status_count/"):
        status = key.rsplit("/", 1)[1]
        return f"http_{status}" if status[:1] in ("4", "5") else None
    if key.startswith("downloader/exception_type_count/"):
        name = key.rsplit(".", 1)[-1]
        # Refusals and robots.txt denials are counted under their own names.
        return None if name == "IgnoreRequest" else f"exception:{name}"
    if key.startswith("spider_exceptions/"):
        return "spider_exception:" + key.split("/", 1)[1]
    if key.startswith("dedupcrawl/refused/"):
        return "refused:" + key.split("/", 2)[2]
    if key.startswith("dedupcrawl/failed/"):
        return key.split("/", 2)[2]
    return None


def judge(summary: RunStats) -> tuple[bool, str]:
    """Success from the stats, not the exit code: ran to the end, got answers, archived them."""
    if summary.finish_reason not in CLEAN_FINISH:
        return False, f"finish reason {summary.finish_reason or 'missing'}"
    if summary.responses == 0:
        return False, "no responses"
    for kind in ("capture_failed", "handoff_failed"):
        if summary.errors.get(kind):
            return False, f"{summary.errors[kind]} {kind.replace('_', ' ')}"
    http_errors = sum(v for k, v in summary.errors.items() if k.startswith("http_"))
    if http_errors > MAX_ERROR_SHARE * summary.responses:
        return False, f"{http_errors} of {summary.responses} responses were errors"
    return True, "ok"


class RunStore:
    """`{prefix}:crawl:{run_id}` hashes and the `{prefix}:crawls` index by start time."""

    def __init__(self, connection: redis.Redis, key_prefix: str) -> None:
        self._redis = connection
        self._keys = Keys(key_prefix)

    def start(self, run_id: str, site: str, now: datetime | None = None) -> CrawlRun:
        run = CrawlRun(run_id=run_id, site=site, started_at=now or datetime.now(UTC))
        pipe = self._redis.pipeline()
        pipe.hset(self._keys.crawl(run_id), mapping=_fields(run))
        pipe.zadd(self._keys.crawls, {run_id: run.started_at.timestamp()})
        pipe.execute()
        return run

    def finish(self, run: CrawlRun, scrapy_stats: Mapping[str, Any]) -> CrawlRun:
        summary = summarize(scrapy_stats)
        ok, verdict = judge(summary)
        done = CrawlRun(
            run_id=run.run_id,
            site=run.site,
            started_at=run.started_at,
            finished_at=datetime.now(UTC),
            status=RunStatus.SUCCEEDED if ok else RunStatus.FAILED,
            verdict=verdict,
            stats=summary,
        )
        raw = json.dumps(dict(scrapy_stats), default=str)
        self._redis.hset(self._keys.crawl(run.run_id), mapping={**_fields(done), "scrapy_stats": raw})
        return done

    def load(self, run_id: str) -> CrawlRun | None:
        fields = self._redis.hgetall(self._keys.crawl(run_id))
        return _from_fields(fields) if fields else None


def _fields(run: CrawlRun) -> dict[Any, str]:
    return {
        "run_id": run.run_id,
        "site": run.site,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else "",
        "status": run.status,
        "verdict": run.verdict,
        "stats": json.dumps(asdict(run.stats)),
    }


def _from_fields(raw: Mapping[Any, Any]) -> CrawlRun:
    text = {k.decode(): v.decode() for k, v in raw.items()}
    finished = text.get("finished_at")
    return CrawlRun(
        run_id=text["run_id"],
        site=text["site"],
        started_at=datetime.fromisoformat(text["started_at"]),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        status=RunStatus(text.get("status", RunStatus.RUNNING)),
        verdict=text.get("verdict", ""),
        stats=RunStats(**json.loads(text.get("stats") or "{}")),
    )
