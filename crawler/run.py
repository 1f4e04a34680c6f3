"""Run one crawl of one site in this process and print its run record as JSON.

    REDIS_URL=U python -m crawler.run --site NAME --sites-file F --key-prefix P \
        --warc-dir D [--run-id R]

The Redis URL comes from the environment: a command line is visible to every local user (`ps`),
and the URL may carry a password. So do an object store's credentials (`--archive-url`), under
the names every S3 tool reads: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.

A Twisted reactor cannot be restarted, so every crawl is its own process (the CLI and the RQ crawl
job both start this module). Success is judged from the crawl's stats (see `crawler.runs.judge`);
the exit status mirrors that verdict: 0 succeeded, 1 failed, 2 could not start.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import Any

import redis
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.location import ObjectStoreAddress
from crawler import services
from crawler.config import load_sites
from crawler.errors import CrawlerError
from crawler.progress import PROGRESS_FILE
from crawler.runs import CrawlRun, RunStore


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description="Crawl one site.")
    parser.add_argument("--site", required=True)
    parser.add_argument("--sites-file", required=True)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),  # this entry point's one environment setting
        help="default: $REDIS_URL (prefer it: a command line is visible to every local user)",
    )
    parser.add_argument("--key-prefix", default="dc")
    parser.add_argument("--warc-dir", required=True, help="the archive; with --archive-url, the spool")
    parser.add_argument("--archive-url", default=None, help="s3://bucket/prefix: the archive's object store")
    parser.add_argument("--archive-endpoint", default="https://s3.amazonaws.com")
    parser.add_argument("--archive-region", default=None)
    parser.add_argument("--run-id", default=None)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-file", default=None, help="Scrapy's log goes here instead of stderr")
    parser.add_argument("--progress-file", default=None, help="progress JSON (crawler.progress)")
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting",
    )
    return parser.parse_args(argv)


def scrapy_settings(args: argparse.Namespace, run_id: str) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    values: dict[str, Any] = {
        services.SITES_FILE: args.sites_file,
        services.REDIS_URL: args.redis_url,
        services.KEY_PREFIX: args.key_prefix,
        services.WARC_DIR: args.warc_dir,
        services.ARCHIVE: _object_store(args),
        services.RUN_ID: run_id,
        "LOG_LEVEL": args.log_level,
        "LOG_FILE": args.log_file,
        PROGRESS_FILE: args.progress_file,
    }
    for pair in args.set:
        name, _, value = pair.partition("=")
        values[name] = value
    settings.setdict(values, priority="cmdline")
    return settings


def _object_store(args: argparse.Namespace) -> ObjectStoreAddress | None:
    if not args.archive_url:
        return None
    access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    try:
        return ObjectStoreAddress.parse(
            args.archive_url, args.archive_endpoint, access or None, secret or None, args.archive_region
        )
    except ValueError as exc:
        raise CrawlerError(f"--archive-url: {exc}") from None


def crawl(args: argparse.Namespace) -> CrawlRun | None:
    if not args.redis_url:
        raise CrawlerError("no Redis: set REDIS_URL")
    site = load_sites(args.sites_file).site(args.site)
    run_id = args.run_id or services.new_run_id(site.name)
    if not services.RUN_ID_RE.fullmatch(run_id):
        raise CrawlerError(f"--run-id {run_id!r} must match {services.RUN_ID_RE.pattern}")
    _check_redis(args.redis_url)  # without it there is no seen store, hand-off or run record
    process = CrawlerProcess(scrapy_settings(args, run_id))
    process.crawl(site.name)
    # What exists now (modules, Scrapy's machinery) lives as long as the process: kept out of
    # the cyclic collector's full passes, which otherwise rescan it all several times a crawl.
    gc.collect()
    gc.freeze()
    process.start()
    connection = redis.Redis.from_url(args.redis_url)
    try:
        return RunStore(connection, args.key_prefix).load(run_id)
    except redis.RedisError as exc:
        raise CrawlerError(f"cannot read the run record {run_id}: {exc}") from exc
    finally:
        connection.close()


def _check_redis(url: str) -> None:
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=5)
        connection.ping()
        connection.close()
    except (redis.RedisError, ValueError) as exc:
        # redis-py names host and port, never the password the URL may carry
        raise CrawlerError(f"cannot reach Redis: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run = crawl(args)
    except CrawlerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if run is None:
        print("error: the crawl left no run record", file=sys.stderr)
        return 2
    print(json.dumps(run.to_dict(), ensure_ascii=False))
    return 0 if run.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
