"""Each enqueued slot is announced, remembered (newest first) and shown with its outcome: the
job's state while it waits, then the crawl run's verdict; a cron that never fires is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from crawler.config import parse_sites
from crawler.errors import CrawlerError
from crawler.runs import RunStore
from tests.test_scheduler import KEYS, SITES, SITES_TEXT
from workers.flow.scheduler import Scheduler, Slot
from workers.read.operations import schedule_rows, slot_outcome

NOW = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)


def test_slots_have_outcomes_and_a_history(redis_client: redis.Redis, tmp_path: Path) -> None:
    announced: list[Slot] = []
    scheduler = Scheduler(redis_client, KEYS, SITES, "sites.toml", grace=timedelta(hours=1))
    for hour in (NOW, NOW + timedelta(hours=1)):
        announced += scheduler.tick(hour)
    assert [s.job_id for s in announced] == ["crawl-hourly-20261123T0900", "crawl-hourly-20261123T1000"]
    assert slot_outcome(redis_client, KEYS, None) == "none"
    assert slot_outcome(redis_client, KEYS, announced[0].job_id) == "queued"

    runs = RunStore(redis_client, KEYS.prefix)
    run = runs.start(announced[0].job_id, "hourly")
    assert slot_outcome(redis_client, KEYS, announced[0].job_id) == "queued"  # still running
    runs.finish(run, {"finish_reason": "finished"})
    assert slot_outcome(redis_client, KEYS, announced[0].job_id) == "failed: no responses"

    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(SITES_TEXT, encoding="utf-8")
    rows, note = schedule_rows(redis_client, KEYS, sites_file)
    hourly = next(r for r in rows if r.site == "hourly")
    assert note == "" and hourly.last_job == announced[1].job_id and hourly.outcome == "queued"
    assert hourly.recent == ((announced[0].job_id, "failed: no responses"),)
    assert schedule_rows(redis_client, KEYS, None)[1].startswith("no sites file")


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4 *"])
def test_a_cron_that_never_fires_is_refused(cron: str) -> None:
    with pytest.raises(CrawlerError, match="never fires"):
        parse_sites(SITES_TEXT.replace('"0 3 * * *"', f'"{cron}"'))


def test_a_rare_cron_is_kept() -> None:
    leap_day = parse_sites(SITES_TEXT.replace('"0 3 * * *"', '"0 0 29 2 *"')).site("nightly")
    assert leap_day.schedule == "0 0 29 2 *"
