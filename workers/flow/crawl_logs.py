"""One log file per crawl run under the data directory (like scrapyd's per-job logs), rotated."""

from __future__ import annotations

import contextlib
from pathlib import Path

# Past this many files the oldest go: a crawl every 30 minutes keeps about two weeks of logs.
KEEP = 500


def log_dir(home: Path) -> Path:
    return home / "logs" / "crawls"


def log_path(home: Path, run_id: str) -> Path:
    """Where the crawl `run_id` writes Scrapy's log (run ids match crawler.services.RUN_ID_RE)."""
    return log_dir(home) / f"{run_id}.log"


def existing_log(home: Path, run_id: str) -> Path | None:
    path = log_path(home, run_id)
    return path if path.is_file() else None


def prepare(home: Path, run_id: str, keep: int = KEEP) -> Path:
    """Make room for a new run's log: create the folder and delete all but the newest `keep` - 1."""
    folder = log_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    logs = sorted(folder.glob("*.log"), key=_modified)
    for old in logs[: max(0, len(logs) - keep + 1)]:
        with contextlib.suppress(FileNotFoundError):  # another process rotated it first
            old.unlink()
    return log_path(home, run_id)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
