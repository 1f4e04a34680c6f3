"""Crawls as the service runs them: the operator's sites file, and one crawl in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from crawler.config import SitesConfig, load_sites
from crawler.errors import CrawlerError
from workers.errors import ServiceError
from workers.settings import Settings


def load_sites_file(path: Path | None) -> tuple[Path, SitesConfig]:
    """The sites file, validated; a ServiceError (one line) when it is missing or wrong."""
    if path is None:
        raise ServiceError("no sites file: pass --sites FILE or set DEDUPCRAWL_SITES")
    try:
        return path.resolve(), load_sites(path)
    except CrawlerError as exc:
        raise ServiceError(str(exc)) from exc


def site_sites_file(path: Path | None, site: str) -> Path:
    """The sites file, checked to declare `site`."""
    resolved, config = load_sites_file(path)
    try:
        config.site(site)
    except CrawlerError as exc:
        raise ServiceError(str(exc)) from exc
    return resolved


def run_crawl(
    site: str, sites_file: Path, redis_url: str, settings: Settings, run_id: str | None = None
) -> dict[str, Any]:
    """Run `python -m crawler.run` (a Twisted reactor cannot restart) and return its run record."""
    command = [sys.executable, "-m", "crawler.run", "--site", site, "--sites-file", str(sites_file)]
    command += ["--redis-url", redis_url, "--key-prefix", settings.key_prefix]
    command += ["--warc-dir", str(settings.warc_dir), "--log-level", settings.log_level]
    command += ["--run-id", run_id] if run_id else []
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise ServiceError(f"the crawl of {site} ended (exit {done.returncode}) without a run record")
    return dict(json.loads(lines[-1]))
