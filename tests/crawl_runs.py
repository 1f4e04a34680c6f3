"""Run real crawls (`python -m crawler.run`, one process each) against the fixture web, and drain
what they hand off with real worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from synthetic.fixture_web.process import FixtureServer
from tests.fault_rig import drain_with_workers
from workers.flow.crawls import run_crawl
from workers.settings import load_settings


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


FIXTURE_SITES = ("fixture-wenku", "fixture-news", "fixture-gov")


def crawl_and_drain(home: Path, env: dict[str, str], redis_url: str, docs: int, seed: int) -> dict[str, Any]:
    """Crawl the fixture web's three sites (the service's own crawl runs, no crawl delay), then
    drain the ingest queue with two worker processes; return the fixture's ground truth."""
    with FixtureServer(docs=docs, seed=seed, crawl_delay=0.0, slow_s=0.2) as web:
        sites = web.write_sites(home / "sites.toml")
        settings = load_settings(env)
        for site in FIXTURE_SITES:
            run = run_crawl(site, sites, redis_url, settings)
            assert run["status"] == "succeeded", run
        truth = web.truth()
    drain_with_workers(env)
    return truth
