"""Scheduled crawls: one leader, one job per cron slot, no overlapping crawls of a site."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from rq import Queue, SimpleWorker

from archive.keys import Keys
from crawler.config import parse_sites
from crawler.queues import CRAWL
from tests.cli_process import clean_env, run_cli
from workers.flow.scheduler import Scheduler, due_slot, next_run

KEYS = Keys("t")
SITES_TEXT = """
[[site]]
name = "hourly"
kind = "news"
start_urls = ["https://news.example.cn/"]
allowed_domains = ["news.example.cn"]
document_patterns = ['/\\d+\\.html$']
schedule = "0 * * * *"

[[site]]
name = "nightly"
kind = "generic"
start_urls = ["https://gov.example.cn/"]
allowed_domains = ["gov.example.cn"]
document_patterns = ['/\\d+\\.html$']
schedule = "0 3 * * *"

[[site]]
name = "manual"
kind = "generic"
start_urls = ["https://manual.example.cn/"]
allowed_domains = ["manual.example.cn"]
document_patterns = ['/\\d+\\.html$']
"""
SITES = parse_sites(SITES_TEXT)
NOW = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)


def _scheduler(connection: redis.Redis) -> Scheduler:
    return Scheduler(connection, KEYS, SITES, "sites.toml", grace=timedelta(hours=1))


def test_due_slot_is_the_latest_slot_within_grace() -> None:
    hourly, nightly, manual = SITES.sites
    assert due_slot(hourly, NOW, timedelta(hours=1)).at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert due_slot(nightly, NOW, timedelta(hours=1)) is None  # 03:00 was missed by more than grace
    assert due_slot(manual, NOW, timedelta(hours=1)) is None
    exact = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert due_slot(hourly, exact, timedelta(0)).at == exact  # type: ignore[union-attr]
    assert next_run(nightly, NOW) == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_two_schedulers_and_a_restart_enqueue_each_slot_once(redis_client: redis.Redis) -> None:
    first, second = _scheduler(redis_client), _scheduler(redis_client)
    assert [s.job_id for s in first.tick(NOW)] == ["crawl-hourly-20261123T0900"]
    assert second.tick(NOW) == []  # not the leader
    redis_client.delete(KEYS.lock("scheduler"))  # the leader died; the other takes over
    assert second.tick(NOW) == []  # ... and finds the slot already enqueued
    restarted = _scheduler(redis_client)
    redis_client.delete(KEYS.lock("scheduler"))
    assert restarted.tick(NOW + timedelta(minutes=5)) == []
    assert [s.job_id for s in restarted.tick(NOW + timedelta(hours=1))] == ["crawl-hourly-20261123T1000"]
    crawl_queue = Queue(CRAWL, connection=redis_client)
    assert sorted(crawl_queue.job_ids) == ["crawl-hourly-20261123T0900", "crawl-hourly-20261123T1000"]
    job = crawl_queue.fetch_job("crawl-hourly-20261123T0900")
    assert job is not None and job.args == ("hourly", "sites.toml")


def test_leader_lease_is_renewed_only_by_its_holder(redis_client: redis.Redis) -> None:
    leader, other = _scheduler(redis_client), _scheduler(redis_client)
    assert leader.is_leader() and leader.is_leader()
    assert not other.is_leader()


def test_a_crawl_of_a_site_never_overlaps_another(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEDUPCRAWL_HOME", str(tmp_path))
    monkeypatch.setenv("DEDUPCRAWL_KEY_PREFIX", "t")
    monkeypatch.setenv("REDIS_URL", redis_url)
    redis_client.set(KEYS.lock("crawl:hourly"), "another-job")
    crawl_queue = Queue(CRAWL, connection=redis_client)
    job = crawl_queue.enqueue("workers.flow.jobs.crawl_site", "hourly", "sites.toml", job_id="crawl-hourly-x")
    SimpleWorker([crawl_queue], connection=redis_client).work(burst=True)
    job.refresh()
    assert job.return_value() == {
        "site": "hourly",
        "status": "skipped",
        "verdict": "another crawl of this site is running",
    }
    assert redis_client.get(KEYS.lock("crawl:hourly")) == b"another-job"  # not released by the loser


def test_schedule_command_lists_next_runs(redis_url: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(SITES_TEXT, encoding="utf-8")
    result = run_cli(
        "schedule",
        "--json",
        "--sites",
        str(sites),
        env=clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    rows = {row["site"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"hourly", "nightly"}
    assert rows["nightly"]["cron"] == "0 3 * * *" and rows["nightly"]["next_run"].endswith("03:00:00+00:00")
