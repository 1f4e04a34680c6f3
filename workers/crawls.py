"""Crawls as the service runs them: the operator's sites file, and one crawl in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.config import SitesConfig, load_sites
from crawler.errors import CrawlerError
from crawler.services import new_run_id
from workers import crawl_logs
from workers.errors import ServiceError
from workers.settings import Settings

Progress = Callable[[dict[str, int]], None]
POLL_S = 0.3


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
    site: str,
    sites_file: Path,
    redis_url: str,
    settings: Settings,
    run_id: str | None = None,
    *,
    log_to_stderr: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run `python -m crawler.run` (a Twisted reactor cannot restart) and return its run record.

    Scrapy's log goes to the run's file under the data directory (`workers.crawl_logs`) unless
    `log_to_stderr`; `progress` is called with the crawl's counts while it runs."""
    run_id = run_id or new_run_id(site)
    command = [sys.executable, "-m", "crawler.run", "--site", site, "--sites-file", str(sites_file)]
    command += ["--redis-url", redis_url, "--key-prefix", settings.key_prefix]
    command += ["--warc-dir", str(settings.warc_dir), "--log-level", settings.log_level, "--run-id", run_id]
    if not log_to_stderr:
        command += ["--log-file", str(crawl_logs.prepare(settings.home, run_id))]
    with tempfile.TemporaryDirectory(prefix="dedupcrawl-progress-") as folder:
        progress_file = Path(folder) / "progress.json"
        command += ["--progress-file", str(progress_file)] if progress else []
        returncode, stdout = _run(command, progress_file, progress)
    lines = stdout.strip().splitlines()
    if not lines:
        raise ServiceError(f"the crawl of {site} ended (exit {returncode}) without a run record")
    return dict(json.loads(lines[-1]))


def _run(command: list[str], progress_file: Path, progress: Progress | None) -> tuple[int, str]:
    if progress is None:
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        return done.returncode, done.stdout
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        child = subprocess.Popen(command, stdout=out, text=True)
        while child.poll() is None:
            _report(progress_file, progress)
            time.sleep(POLL_S)
        _report(progress_file, progress)
        out.seek(0)
        return child.returncode, out.read()


def _report(progress_file: Path, progress: Progress) -> None:
    try:
        counts = json.loads(progress_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # not written yet
    progress({k: int(v) for k, v in counts.items()})
