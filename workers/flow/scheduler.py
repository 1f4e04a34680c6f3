"""Scheduled crawls: one leader enqueues each site's cron slots, once per slot.

Only the scheduler holding the leader lease enqueues. Each slot's job id is deterministic
(`crawl-{site}-{slot}`) and guarded by SET NX, so a second scheduler, a restart or a lost
leadership in the middle of a tick never doubles a crawl. A slot missed by more than
`grace` (the scheduler was down) is skipped rather than run late.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from croniter import croniter
from rq import Retry

from archive.keys import Keys
from crawler.config import SiteConfig, SitesConfig
from crawler.queues import CRAWL, queue
from workers.stores.replies import text_of

CRAWL_FUNCTION = "workers.flow.jobs.crawl_site"
CRAWL_TIMEOUT_S = 6 * 3600
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


# The latest slots kept per site (job ids, newest first) for the operations page.
SLOT_HISTORY = 20


def slot_history(keys: Keys, site: str) -> str:
    return f"{keys.schedule(site)}:slots"


@dataclass(frozen=True, slots=True)
class Slot:
    site: str
    at: datetime

    @property
    def job_id(self) -> str:
        return f"crawl-{self.site}-{self.at:%Y%m%dT%H%M}"


@dataclass(frozen=True, slots=True)
class SiteSchedule:
    site: str
    cron: str
    next_run: datetime
    last_slot: str | None
    last_job: str | None


def due_slot(site: SiteConfig, now: datetime, grace: timedelta) -> Slot | None:
    """The latest cron slot at or before `now`, if it is not older than `grace`."""
    if not site.schedule:
        return None
    at = croniter(site.schedule, now + timedelta(microseconds=1)).get_prev(datetime)
    return Slot(site.name, at) if now - at <= grace else None


def next_run(site: SiteConfig, now: datetime) -> datetime | None:
    return croniter(site.schedule, now).get_next(datetime) if site.schedule else None


class Scheduler:
    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        sites: SitesConfig,
        sites_file: str,
        grace: timedelta = timedelta(hours=1),
        lease_ms: int = 30_000,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.sites = sites
        self.sites_file = sites_file
        self.grace = grace
        self.lease_ms = lease_ms
        self.identity = uuid.uuid4().hex
        self._renew = connection.register_script(_RENEW)

    def is_leader(self) -> bool:
        """Take the leader lease if free, renew it if ours."""
        key = self.keys.lock("scheduler")
        if self.connection.set(key, self.identity, nx=True, px=self.lease_ms):
            return True
        return bool(self._renew(keys=[key], args=[self.identity, self.lease_ms]))

    def tick(self, now: datetime | None = None) -> list[Slot]:
        """Enqueue every due slot not enqueued yet; returns the slots enqueued by this call."""
        if not self.is_leader():
            return []
        now = now or datetime.now(UTC)
        slots = [s for s in (due_slot(site, now, self.grace) for site in self.sites.sites) if s]
        return [slot for slot in slots if self._enqueue(slot)]

    def _enqueue(self, slot: Slot) -> bool:
        guard = f"{self.keys.schedule(slot.site)}:{slot.job_id}"
        if not self.connection.set(guard, "1", nx=True, ex=int(self.grace.total_seconds()) * 2 + 86400):
            return False
        queue(CRAWL, self.connection).enqueue(
            CRAWL_FUNCTION,
            slot.site,
            self.sites_file,
            job_id=slot.job_id,
            job_timeout=CRAWL_TIMEOUT_S,
            retry=Retry(max=1, interval=300),
            result_ttl=30 * 86400,
        )
        pipe = self.connection.pipeline(transaction=True)
        last: dict[Any, Any] = {"last_slot": slot.at.isoformat(), "last_job": slot.job_id}
        pipe.hset(self.keys.schedule(slot.site), mapping=last)
        pipe.lpush(slot_history(self.keys, slot.site), slot.job_id)
        pipe.ltrim(slot_history(self.keys, slot.site), 0, SLOT_HISTORY - 1)
        pipe.execute()
        return True

    def run(
        self,
        interval_s: float = 10.0,
        should_stop: Callable[[], bool] = lambda: False,
        on_enqueued: Callable[[Slot], None] = lambda slot: None,
    ) -> None:
        while not should_stop():
            for slot in self.tick():
                on_enqueued(slot)
            time.sleep(interval_s)

    def table(self, now: datetime | None = None) -> list[SiteSchedule]:
        now = now or datetime.now(UTC)
        rows = []
        for site in self.sites.sites:
            upcoming = next_run(site, now)
            if upcoming is None:
                continue
            raw = self.connection.hgetall(self.keys.schedule(site.name))
            last = {text_of(k): text_of(v) for k, v in raw.items()}
            cron = site.schedule or ""
            rows.append(SiteSchedule(site.name, cron, upcoming, last.get("last_slot"), last.get("last_job")))
        return rows
