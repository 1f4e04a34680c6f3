"""The per-crawl objects the Scrapy components share: site, Redis, WARC archive, stores.

Built once per Scrapy `Crawler` from its settings (plain values put there by `crawler.run` or
`scrapy crawl -s ...`), never from the environment.
"""

from __future__ import annotations

import re
import secrets
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from archive.location import ArchiveRoot, ObjectStoreAddress
from archive.warc import WarcArchive
from crawler.config import SiteConfig, SitesConfig, load_sites
from crawler.errors import CrawlerError
from crawler.runs import RunStore
from crawler.seen import SeenStore

# Scrapy setting names; `crawler.run` fills them from its command line.
SITES_FILE = "DC_SITES_FILE"
REDIS_URL = "DC_REDIS_URL"
KEY_PREFIX = "DC_KEY_PREFIX"
WARC_DIR = "DC_WARC_DIR"
ARCHIVE = "DC_ARCHIVE"  # an ObjectStoreAddress: the archive is there, DC_WARC_DIR is the spool
RUN_ID = "DC_RUN_ID"
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# Captures are written in batches of about this size (the hand-off flushes before every enqueue,
# so a handed-off document's records are always on disk first).
WARC_BUFFER_BYTES = 1 << 20


@dataclass
class CrawlServices:
    sites: SitesConfig
    site: SiteConfig
    run_id: str
    key_prefix: str
    redis: redis.Redis
    archive: WarcArchive
    seen: SeenStore
    runs: RunStore

    def close(self) -> None:
        self.archive.close()
        self.redis.close()


_BY_CRAWLER: weakref.WeakKeyDictionary[Any, CrawlServices] = weakref.WeakKeyDictionary()


def services_for(crawler: Any) -> CrawlServices:
    """The services of this crawl (created on first use, for the spider the crawler runs)."""
    found = _BY_CRAWLER.get(crawler)
    if found is None:
        found = _build(crawler.settings, crawler.spidercls.name)
        _BY_CRAWLER[crawler] = found
    return found


def new_run_id(site: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{site}-{stamp}-{secrets.token_hex(3)}"


def _build(settings: Any, site_name: str) -> CrawlServices:
    sites = load_sites(_required(settings, SITES_FILE))
    site = sites.site(site_name)
    prefix = settings.get(KEY_PREFIX) or "dc"
    run_id = settings.get(RUN_ID) or new_run_id(site.name)
    if not RUN_ID_RE.fullmatch(run_id):  # it names WARC files: no paths, no surprises
        raise CrawlerError(f"run id {run_id!r} must match {RUN_ID_RE.pattern}")
    connection = redis.Redis.from_url(_required(settings, REDIS_URL))
    warc_dir = _archive(Path(_required(settings, WARC_DIR)), settings.get(ARCHIVE))
    return CrawlServices(
        sites=sites,
        site=site,
        run_id=run_id,
        key_prefix=prefix,
        redis=connection,
        archive=WarcArchive(warc_dir, f"{site.name}/{run_id}", sites.warc_max_bytes, WARC_BUFFER_BYTES),
        seen=SeenStore(connection, prefix),
        runs=RunStore(connection, prefix),
    )


def _archive(spool: Path, address: ObjectStoreAddress | None) -> ArchiveRoot:
    return address.open(spool) if address is not None else spool


def _required(settings: Any, name: str) -> str:
    value = settings.get(name)
    if not value:
        raise CrawlerError(
            f"setting {name} is required (crawler.run sets it; with scrapy crawl use -s {name}=...)"
        )
    return str(value)
