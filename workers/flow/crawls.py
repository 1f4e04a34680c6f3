"""Crawls as the service runs them: the operator's sites file, and one crawl in its own process,
never two of one site at once, whoever starts them (CLI, scheduler, web)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from archive.keys import Keys
from crawler.config import SitesConfig, load_sites
from crawler.errors import CrawlerError
from crawler.services import new_run_id
from workers.errors import ServiceError
from workers.flow import crawl_logs
from workers.flow.supervisor import die_with_parent
from workers.settings import Settings
from workers.stores.replies import text_of

# The per-site lock outlives a crawl killed with its parent by at most this long; a running
# crawl refreshes it every third of it.
CRAWL_LOCK_TTL_S = 60
_REFRESH_S = CRAWL_LOCK_TTL_S / 3
STOP_GRACE_S = 30.0

_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_COMPARE_AND_EXPIRE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class CrawlBusy(ServiceError):
    """Another crawl of the site holds its lock."""

    verdict = "another crawl of this site is running"

    def __init__(self, site: str, owner: str) -> None:
        super().__init__(f"{site}: {self.verdict} ({owner}); not starting a second one")
        self.site = site

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


def _object_store_arguments(settings: Settings) -> list[str]:
    address = settings.archive_url
    if address is None:
        return []
    region = ["--archive-region", address.region] if address.region else []
    return ["--archive-url", address.url, "--archive-endpoint", address.endpoint, *region]


def _object_store_credentials(settings: Settings) -> dict[str, str]:
    """The store's keys, through the environment like the Redis URL (never on a command line)."""
    address = settings.archive_url
    if address is None or address.access_key is None or address.secret_key is None:
        return {}
    return {"AWS_ACCESS_KEY_ID": address.access_key, "AWS_SECRET_ACCESS_KEY": address.secret_key}


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
    """Run `python -m crawler.run` (a Twisted reactor cannot restart) under the site's lock and
    return its run record; CrawlBusy when another crawl of the site runs.

    Scrapy's log goes to the run's file under the data directory (`workers.flow.crawl_logs`) unless
    `log_to_stderr`; `progress` is called with the crawl's counts while it runs."""
    run_id = run_id or new_run_id(site)
    command = [sys.executable, "-m", "crawler.run", "--site", site, "--sites-file", str(sites_file)]
    command += ["--key-prefix", settings.key_prefix]
    command += ["--warc-dir", str(settings.warc_dir), "--log-level", settings.log_level, "--run-id", run_id]
    command += _object_store_arguments(settings)
    if not log_to_stderr:
        command += ["--log-file", str(crawl_logs.prepare(settings.home, run_id))]
    # The URL may carry a password: through the environment (readable by this user only), never
    # on the command line (readable by every local user in ps).
    env = {**os.environ, "REDIS_URL": redis_url, **_object_store_credentials(settings)}
    lock = site_lock(redis_url, settings.key_prefix, site, run_id)
    with lock as refresh, tempfile.TemporaryDirectory(prefix="dedupcrawl-progress-") as folder:
        progress_file = Path(folder) / "progress.json"
        command += ["--progress-file", str(progress_file)] if progress else []
        report = functools.partial(_report, progress_file, progress) if progress else None
        code, stdout = _run(command, env, refresh, report)
    lines = stdout.strip().splitlines()
    if not lines:
        raise ServiceError(f"the crawl of {site} ended (exit {code}) without a run record")
    return dict(json.loads(lines[-1]))


def _run(
    command: list[str], env: dict[str, str], refresh: Callable[[], None], report: Callable[[], None] | None
) -> tuple[int, str]:
    """The crawl's exit code and output; the lock refreshed (and progress reported) while it
    runs, the crawl stopped if we are."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=env, stdout=out, text=True, preexec_fn=die_with_parent())
        try:
            code = _wait(process, refresh, report)
        finally:
            _stop(process)
        out.seek(0)
        return code, out.read()


def _wait(
    process: subprocess.Popen[str], refresh: Callable[[], None], report: Callable[[], None] | None
) -> int:
    refreshed = time.monotonic()
    while True:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=POLL_S if report else _REFRESH_S)
        if report:
            report()
        if process.returncode is not None:
            return process.returncode
        if time.monotonic() - refreshed >= _REFRESH_S:
            refresh()
            refreshed = time.monotonic()


def _stop(process: subprocess.Popen[str]) -> None:
    """We were stopped (SIGTERM, Ctrl-C) while the crawl runs: so is the crawl."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _report(progress_file: Path, progress: Progress) -> None:
    try:
        counts = json.loads(progress_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # not written yet
    progress({k: int(v) for k, v in counts.items()})


@contextlib.contextmanager
def site_lock(redis_url: str, key_prefix: str, site: str, owner: str | None = None) -> Iterator[Any]:
    """Hold `{prefix}:lock:crawl:{site}` (TTL CRAWL_LOCK_TTL_S) or raise CrawlBusy; yields the
    function that refreshes it. Released only by its owner (an expired lock may be retaken)."""
    connection = redis.Redis.from_url(redis_url)
    key = Keys(key_prefix).lock(f"crawl:{site}")
    token = owner or f"crawl-{secrets.token_hex(6)}"
    try:
        if not connection.set(key, token, nx=True, ex=CRAWL_LOCK_TTL_S):
            holder = connection.get(key)
            raise CrawlBusy(site, text_of(holder) if holder else "just finished")

        def refresh() -> None:
            connection.eval(_COMPARE_AND_EXPIRE, 1, key, token, CRAWL_LOCK_TTL_S)

        try:
            yield refresh
        finally:
            connection.eval(_COMPARE_AND_DELETE, 1, key, token)
    finally:
        connection.close()
