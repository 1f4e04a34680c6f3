"""Run real crawls (`python -m crawler.run`, one process each) against the fixture web."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def start_crawl(
    site: str, sites_file: Path, redis_url: str, prefix: str, warc_dir: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.run",
            "--site",
            site,
            "--sites-file",
            str(sites_file),
            "--redis-url",
            redis_url,
            "--key-prefix",
            prefix,
            "--warc-dir",
            str(warc_dir),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def crawl_all(
    sites: list[str], sites_file: Path, redis_url: str, prefix: str, warc_dir: Path
) -> dict[str, Any]:
    """Crawl the sites in parallel processes; return each one's run record (stdout JSON)."""
    processes = {s: start_crawl(s, sites_file, redis_url, prefix, warc_dir) for s in sites}
    runs = {}
    for site, process in processes.items():
        out, err = process.communicate(timeout=120)
        if not out.strip():
            raise AssertionError(f"crawl of {site} printed no run record; stderr:\n{err[-3000:]}")
        runs[site] = json.loads(out.strip().splitlines()[-1])
        runs[site]["exit_code"] = process.returncode
    return runs
