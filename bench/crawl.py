"""Crawl throughput: our spider (WARC capture + RQ hand-off + seen store) vs plain Scrapy.

Both crawl the same fixture web (docshare site: list pages, multi-page documents) in the same
run, each in its own process, with politeness off for both (no robots.txt, no delays, no
AutoThrottle, same concurrency). Pages/s = 200 responses / Scrapy's elapsed time.

    python bench/crawl.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rq import Queue  # noqa: E402

from synthetic.fixture_web.process import FixtureServer  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402

SITE = "bench-wenku"
CONCURRENCY = 16
# Applied to both crawls: politeness off, same concurrency, same per-callback task budget.
POLITENESS_OFF = {
    "CONCURRENT_ITEMS": 16,
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "COOKIES_ENABLED": False,
}


def sites_file(base: str, path: Path) -> Path:
    path.write_text(
        f"""
[[site]]
name = "{SITE}"
kind = "docshare"
start_urls = ["{base}/wenku/list/1.html"]
allowed_domains = ["127.0.0.1"]
list_patterns = ['/wenku/list/\\d+\\.html$']
document_patterns = ['/wenku/doc/\\d+\\.html$']
page_pattern = '/wenku/doc/\\d+_(\\d+)\\.html$'
css = {{ pager = "div.pager" }}
allow_private_hosts = ["127.0.0.1"]
recheck_after_s = 0
politeness = {{ delay_s = 0, concurrency = {CONCURRENCY}, obey_robots = false, autothrottle = false }}
""",
        encoding="utf-8",
    )
    return path


def run_ours(base: str, redis_url: str, work: Path) -> dict[str, Any]:
    """`python -m crawler.run` on a fresh Redis database (a full crawl, not an incremental one)."""
    work.mkdir(parents=True, exist_ok=True)
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    command = [sys.executable, "-m", "crawler.run", "--site", SITE]
    command += ["--sites-file", str(sites_file(base, work / "sites.toml")), "--redis-url", redis_url]
    command += ["--key-prefix", "bench", "--warc-dir", str(work / "warc"), "--log-level", "WARNING"]
    command += ["--run-id", "bench-run"] + [f"--set={k}={v}" for k, v in POLITENESS_OFF.items()]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if not done.stdout.strip():
        raise SystemExit(f"our crawl failed:\n{done.stderr[-3000:]}")
    stats = json.loads(connection.hget("bench:crawl:bench-run", "scrapy_stats") or b"{}")
    stats["jobs"] = Queue("ingest", connection=connection).count
    connection.close()
    return dict(stats)


def run_plain(base: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--plain-worker", base]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if not done.stdout.strip():
        raise SystemExit(f"plain crawl failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def plain_worker(base: str) -> None:
    """Plain Scrapy: the same link rules, no capture, no hand-off, no Redis."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    lists = re.compile(r"/wenku/list/\d+\.html$")
    docs = re.compile(r"/wenku/doc/\d+\.html$")

    class Plain(Spider):
        """Follows the same links as ours: list → documents → pager links of each document."""

        name = "plain"
        allowed_domains: ClassVar[list[str]] = ["127.0.0.1"]
        every_link = LinkExtractor(unique=True)
        pager = LinkExtractor(restrict_css="div.pager", unique=True)

        async def start(self) -> Any:  # what Scrapy's default does with start_urls
            yield Request(f"{base}/wenku/list/1.html", dont_filter=True)

        def parse(self, response: Any) -> Any:
            for link in self.every_link.extract_links(response):
                url = link.url.split("?", 1)[0]  # the same duplicates collapse as in ours
                if docs.search(url):
                    yield Request(url, callback=self.parse_doc)
                elif lists.search(url):
                    yield Request(url)

        def parse_doc(self, response: Any) -> Any:
            for link in self.pager.extract_links(response):
                yield Request(link.url, callback=self.parse_doc, priority=10)

    process = CrawlerProcess(POLITENESS_OFF)
    crawler = process.create_crawler(Plain)
    process.crawl(crawler)
    process.start()
    print(json.dumps(dict(crawler.stats.get_stats()), default=str))


def pages_per_s(stats: dict[str, Any]) -> tuple[int, float]:
    pages = int(stats.get("downloader/response_status_count/200", 0))
    return pages, pages / float(stats["elapsed_time_seconds"])


def timed(run: Any) -> dict[str, Any]:
    """Run one crawl process; add the CPU seconds it used (this machine is shared: wall time
    moves with other load, CPU per page much less)."""
    before = os.times()
    stats = dict(run())
    after = os.times()
    stats["cpu_s"] = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return stats


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(runs, key=lambda stats: pages_per_s(stats)[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="about 2,000 pages, one round (under a minute)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object")
    parser.add_argument("--plain-worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_worker:
        plain_worker(args.plain_worker)
        return
    # About 2.4 pages per docshare document (a third of them previews) on a third of the corpus.
    docs, rounds = (2600, 1) if args.quick else (6500, 2)
    ours_runs: list[dict[str, Any]] = []
    plain_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = RedisServer(work / "redis").start()
        try:
            # Warm: every page rendered before the first crawl, so both crawls meet the same server.
            with FixtureServer(docs=docs, seed=3, crawl_delay=0, slow_s=0, warm=True) as web:
                warm = time.perf_counter()
                for round_no in range(rounds):  # alternate, so both see the same background load
                    plain_runs.append(timed(lambda: run_plain(web.url)))
                    ours_runs.append(timed(lambda n=round_no: run_ours(web.url, server.url, work / f"r{n}")))
                wall = time.perf_counter() - warm
        finally:
            stop_process(server.pid)
    report(best(ours_runs), best(plain_runs), wall, rounds, args.json)


def report(ours: dict[str, Any], plain: dict[str, Any], wall: float, rounds: int, as_json: bool) -> None:
    our_pages, our_rate = pages_per_s(ours)
    plain_pages, plain_rate = pages_per_s(plain)
    our_cpu = 1000 * ours["cpu_s"] / max(our_pages, 1)
    plain_cpu = 1000 * plain["cpu_s"] / max(plain_pages, 1)
    result = {
        "ours_pages_per_s": round(our_rate, 1),
        "plain_scrapy_pages_per_s": round(plain_rate, 1),
        "ratio": round(our_rate / plain_rate, 3),
        "ours_cpu_ms_per_page": round(our_cpu, 2),
        "plain_scrapy_cpu_ms_per_page": round(plain_cpu, 2),
        "cpu_ratio": round(plain_cpu / our_cpu, 3),
        "ours_pages": our_pages,
        "plain_pages": plain_pages,
        "ours_documents_handed_off": int(ours.get("dedupcrawl/handed_off", 0)),
        "ours_ingest_jobs": int(ours.get("jobs", 0)),
        "ours_warc_records": int(ours.get("dedupcrawl/captures", 0)),
        "concurrency": CONCURRENCY,
        "rounds": rounds,
        "wall_s": round(wall, 1),
    }
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:30} {value}")


if __name__ == "__main__":
    main()
