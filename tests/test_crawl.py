"""End to end: real Scrapy crawls (own processes) of the fixture web, a real redis-server, RQ.

Crawl 1 captures everything; crawl 2 of the unchanged web must hand off nothing and ask
conditionally; after one article changes, crawl 3 captures exactly that page again.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from warcio.archiveiterator import ArchiveIterator

from archive.capture import DocumentCapture
from archive.warc import iter_records, read_page
from crawler.handoff import captures_of
from crawler.runs import RunStore
from synthetic.fixture_web.process import FixtureServer
from tests.crawl_runs import crawl_all
from workers.redis.redis_server import ServerInfo

SITES = ["fixture-wenku", "fixture-news", "fixture-gov"]
PREFIX = "crawltest"
CRAWL_DELAY = 0.1
PREFIXES = {"fixture-wenku": "/wenku/", "fixture-news": "/news/", "fixture-gov": "/gov/"}


class World:
    """The fixture web, Redis and the WARC directory shared by the crawls of this module."""

    def __init__(self, web: FixtureServer, connection: redis.Redis, url: str, tmp: Path) -> None:
        self.web, self.redis, self.redis_url = web, connection, url
        self.sites_file = web.write_sites(tmp / "sites.toml")
        self.warc_dir = tmp / "warc"
        self.truth = web.truth()

    def crawl(self, sites: list[str]) -> dict[str, Any]:
        return crawl_all(sites, self.sites_file, self.redis_url, PREFIX, self.warc_dir)

    def jobs(self) -> list[DocumentCapture]:
        queue = Queue("ingest", connection=self.redis)
        return [capture for job in queue.jobs for capture in captures_of(job)]

    def responses(self) -> list[Any]:
        return [r for r in iter_records(self.warc_dir) if r.record_type == "response"]


@pytest.fixture(scope="module")
def world(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Any:
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    with FixtureServer(docs=15, seed=11, crawl_delay=CRAWL_DELAY, slow_s=0.5) as web:
        yield World(web, connection, redis_server.url, tmp_path_factory.mktemp("crawl"))
    connection.close()


@pytest.fixture(scope="module")
def first(world: World) -> dict[str, Any]:
    runs = world.crawl(SITES)
    return {
        "runs": runs,
        "log": world.web.log(clear=True),
        "jobs": world.jobs(),
        "responses": world.responses(),
    }


@pytest.fixture(scope="module")
def second(world: World, first: dict[str, Any]) -> dict[str, Any]:
    runs = world.crawl(SITES)
    return {
        "runs": runs,
        "log": world.web.log(clear=True),
        "jobs": world.jobs(),
        "responses": world.responses(),
    }


@pytest.fixture(scope="module")
def third(world: World, second: dict[str, Any]) -> dict[str, Any]:
    world.web.set_changed(True)
    runs = world.crawl(["fixture-news"])
    return {
        "runs": runs,
        "log": world.web.log(clear=True),
        "jobs": world.jobs(),
        "responses": world.responses(),
    }


def _document_page_urls(world: World) -> set[str]:
    return {page for doc in world.truth.values() for page in doc["pages"]}


def test_first_crawl_succeeds_and_is_recorded(world: World, first: dict[str, Any]) -> None:
    store = RunStore(world.redis, PREFIX)
    for site, run in first["runs"].items():
        assert run["status"] == "succeeded", (site, run)
        assert run["exit_code"] == 0
        assert store.load(run["run_id"]) is not None
        assert run["stats"]["handed_off"] == run["stats"]["documents"] > 0


def test_every_document_page_captured_once(world: World, first: dict[str, Any]) -> None:
    ok = Counter(r.url for r in first["responses"] if r.url in _document_page_urls(world))
    assert set(ok) == _document_page_urls(world)
    assert set(ok.values()) == {1}, [u for u, n in ok.items() if n > 1]


def test_each_document_handed_off_once_with_all_its_pages(world: World, first: dict[str, Any]) -> None:
    jobs = {job.doc_url: job for job in first["jobs"]}
    assert len(jobs) == len(first["jobs"]) == len(world.truth)
    for url, doc in world.truth.items():
        assert [p.url for p in jobs[url].pages] == doc["pages"], url
    multi = [url for url, doc in world.truth.items() if len(doc["pages"]) > 1]
    assert multi, "the fixture must contain multi-page documents"
    truncated = [url for url, doc in world.truth.items() if doc["truncated"]]
    assert first["runs"]["fixture-wenku"]["stats"]["documents"] == sum(
        1 for d in world.truth.values() if d["site"] == "wenku"
    )
    assert all(len(jobs[u].pages) < world.truth[u]["total_pages"] for u in truncated)
    assert first["runs"]["fixture-wenku"]["stats"]["truncated"] == len(truncated) > 0


def test_handed_off_pages_read_back_with_verified_digests(world: World, first: dict[str, Any]) -> None:
    for job in first["jobs"]:
        for ref in job.pages:
            page = read_page(world.warc_dir, ref)
            encoding = "gbk" if "/gov/" in ref.url else "utf-8"
            text = page.body.decode(encoding)
            assert "<html" in text and "ICP" in text, ref.url
    gov = next(job for job in first["jobs"] if "/gov/" in job.doc_url)
    assert gov.pages[0].encoding_override == "gbk"


def test_every_warc_file_passes_warcio_digest_checks(world: World, first: dict[str, Any]) -> None:
    files = sorted(world.warc_dir.rglob("*.warc.gz"))
    assert {f.parent.name for f in files} == set(SITES)
    kinds: Counter[str] = Counter()
    for path in files:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, check_digests="raise"):
                record.content_stream().read()
                kinds[record.rec_type] += 1
                if record.rec_type == "response":
                    assert record.rec_headers.get_header("WARC-Target-URI")
                    assert record.rec_headers.get_header("WARC-Date")
                    assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert kinds["response"] == kinds["request"] > len(world.truth)
    assert kinds["metadata"] == len(world.truth)  # one document record per hand-off


def test_robots_disallowed_paths_never_requested(first: dict[str, Any]) -> None:
    paths = [entry["path"] for entry in first["log"]]
    assert not [p for p in paths if p.startswith("/wenku/private/")]
    assert first["runs"]["fixture-wenku"]["stats"]["robots_forbidden"] >= 1


def test_crawl_delay_from_robots_is_honoured(first: dict[str, Any]) -> None:
    for site, prefix in PREFIXES.items():
        times = sorted(e["t"] for e in first["log"] if e["path"].startswith(prefix))
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(gaps) >= 3, site
        # Requests leave spaced by the delay; a few ms of scheduling jitter is allowed.
        assert min(gaps) >= CRAWL_DELAY * 0.5, (site, min(gaps))
        assert statistics.median(gaps) >= CRAWL_DELAY * 0.9, (site, gaps)


def test_redirect_to_private_address_refused(first: dict[str, Any]) -> None:
    paths = [entry["path"] for entry in first["log"]]
    assert "/gov/jump.html" in paths
    assert "/gov/zwgk/outside.html" not in paths
    assert first["runs"]["fixture-gov"]["stats"]["errors"].get("refused:private_address", 0) >= 1


def test_site_without_allow_list_refuses_loopback(world: World, first: dict[str, Any]) -> None:
    run = world.crawl(["fixture-noallow"])["fixture-noallow"]
    assert run["status"] == "failed" and run["exit_code"] == 1
    assert run["stats"]["errors"]["refused:private_address"] >= 1
    assert run["stats"]["requests"] == 0
    assert not [
        e for e in world.web.log(clear=True) if "probe=noallow" in e["path"] or e["path"] == "/robots.txt"
    ]


def test_redirect_chain_and_tracking_duplicates_collapse(world: World, first: dict[str, Any]) -> None:
    paths = [entry["path"] for entry in first["log"]]
    assert any(p.startswith("/gov/old/") for p in paths) and any(p.startswith("/gov/tmp/") for p in paths)
    assert not [p for p in paths if "utm_source" in p or "from=" in p]


def test_second_crawl_of_unchanged_web_enqueues_nothing(
    world: World, first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert len(second["jobs"]) == len(first["jobs"])
    for site, run in second["runs"].items():
        assert run["status"] == "succeeded", (site, run)
        assert run["stats"]["handed_off"] == 0
        assert run["stats"]["skipped_unchanged"] == run["stats"]["documents"] > 0
    doc_paths = {u.split("/", 3)[3] for u in _document_page_urls(world)}
    asked = [e for e in second["log"] if e["path"].lstrip("/") in doc_paths]
    assert asked and all(e["if_none_match"] and e["if_modified_since"] for e in asked)
    new_ok = {r.url for r in second["responses"]} - {r.url for r in first["responses"]}
    assert not new_ok & _document_page_urls(world)


def test_after_one_page_changes_exactly_that_page_is_captured(
    world: World, second: dict[str, Any], third: dict[str, Any]
) -> None:
    run = third["runs"]["fixture-news"]
    assert run["status"] == "succeeded" and run["stats"]["handed_off"] == 1
    new_jobs = third["jobs"][len(second["jobs"]) :]
    assert len(new_jobs) == 1
    changed_url = new_jobs[0].doc_url
    before = Counter(r.url for r in second["responses"])
    after = Counter(r.url for r in third["responses"])
    recaptured = {u for u in _document_page_urls(world) if after[u] > before[u]}
    assert recaptured == {changed_url}
    assert "更新" in read_page(world.warc_dir, new_jobs[0].pages[0]).body.decode("utf-8")


def test_documents_seen_within_the_window_are_not_requested(world: World, third: dict[str, Any]) -> None:
    patient = world.sites_file.with_name("sites-window.toml")
    patient.write_text(world.sites_file.read_text().replace("recheck_after_s = 0", "recheck_after_s = 3600"))
    run = crawl_all(["fixture-news"], patient, world.redis_url, PREFIX, world.warc_dir)["fixture-news"]
    news_docs = [url for url, doc in world.truth.items() if doc["site"] == "news"]
    assert run["status"] == "succeeded"
    assert run["stats"]["skipped_recent"] == len(news_docs) and run["stats"]["documents"] == 0
    asked = {e["path"] for e in world.web.log(clear=True)}
    assert not {url.split("/", 3)[3] for url in news_docs} & {p.lstrip("/") for p in asked}
    assert "/news/index.html" in asked  # list pages are always re-fetched
