"""The archive in an object store (DEDUPCRAWL_ARCHIVE_URL), against a real S3 server (SeaweedFS
`weed mini`, tests/object_store.py): a crawler and two workers with data directories of their
own share only the bucket and Redis; every file is uploaded before a reference into it is handed
off, the web UI and export on a fourth host read every capture and text back by ranged GETs, and
a reindex rebuilds every document from the bucket alone. A dead endpoint or a missing object is
one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import redis

from archive.capture import CaptureRef
from archive.errors import WarcReadError
from archive.keys import Keys
from archive.location import ObjectArchive, ObjectStoreAddress
from archive.warc import WarcArchive, capture_ref, read_page
from synthetic.fixture_web.process import FixtureServer
from tests import test_shared_archive as shared
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import stores
from tests.object_store import (
    ACCESS_KEY,
    BUCKET,
    SECRET_KEY,
    ObjectServer,
    start_object_server,
    stop_object_server,
)
from tests.test_warc import _exchange
from workers.redis.ports import free_port
from workers.stores.store import StoredDocument

PREFIX = shared.PREFIX


@pytest.fixture()
def object_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectServer]:
    server = start_object_server(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    stop_object_server(server)


@dataclass(frozen=True)
class BucketHosts(shared.Hosts):
    """Hosts whose archive is the bucket: `archive` is only a scratch folder for the test's reads."""

    server: ObjectServer | None = None

    def env(self, host: str) -> dict[str, str]:
        assert self.server is not None
        return clean_env(
            DEDUPCRAWL_HOME=str(self.homes[host]), REDIS_URL=self.redis_url, DEDUPCRAWL_KEY_PREFIX=PREFIX,
            DEDUPCRAWL_LOG_LEVEL="WARNING", **self.server.env("run"),
        )  # fmt: skip

    def location(self) -> ObjectArchive:
        assert self.server is not None
        address = ObjectStoreAddress.parse(f"s3://{BUCKET}/run", self.server.endpoint, ACCESS_KEY, SECRET_KEY)
        return address.open(self.archive)


@pytest.fixture()
def bucket_hosts(redis_url: str, tmp_path: Path, object_server: ObjectServer) -> BucketHosts:
    homes = {name: tmp_path / name for name in ("crawler", "worker-a", "worker-b", "web")}
    for home in homes.values():
        home.mkdir()
    return BucketHosts(tmp_path / "reader", homes, redis_url, object_server)


@pytest.mark.slow
def test_workers_sharing_only_the_bucket_ingest_a_crawl_and_the_web_reads_it_back(
    bucket_hosts: BucketHosts, redis_client: redis.Redis
) -> None:
    hosts, bucket = bucket_hosts, bucket_hosts.location()
    store = stores(redis_client, Keys(PREFIX), warc_dir=bucket).documents  # type: ignore[arg-type]
    with FixtureServer(docs=10, seed=7, crawl_delay=0.0, slow_s=0.1) as web:
        sites = web.write_sites(hosts.homes["crawler"] / "sites.toml")
        first = shared._crawl(hosts, sites, "fixture-wenku")
        shared._drain(hosts, "worker-a")
        assert len(shared._documents(store)) == first > 0, store.rejections()
        second = shared._crawl(hosts, sites, "fixture-news")
        shared._drain(hosts, "worker-b")
    imported = shared._import(hosts, "worker-b", hosts.homes["worker-b"].parent / "more.jsonl")
    documents = shared._documents(store)
    assert len(documents) == first + second + imported and second > 0 and imported == 2, store.rejections()
    assert not list(store.rejections())
    for home in hosts.homes.values():  # every spool emptied: each file was uploaded, then removed
        assert not list(home.rglob("*.warc.gz")), home
    names = bucket.names()
    assert {name.split("/")[0] for name in names if "/" in name} == {"fixture-wenku", "fixture-news", "texts"}
    assert any(name.startswith("import-") for name in names)
    _check_web_host(hosts, bucket, documents)


def _check_web_host(hosts: BucketHosts, bucket: ObjectArchive, documents: list[StoredDocument]) -> None:
    status = json.loads(run_cli("status", "--json", env=hosts.env("web")).stdout)
    assert status["archive"] == bucket.describe() and status["counts"]["documents"] == len(documents)
    with shared._served(hosts, "web") as base:
        shown = sum(_every_capture_shown(base, bucket, doc) for doc in documents)
    assert shown == sum(len(doc.captures) for doc in documents) >= len(documents)
    out = hosts.homes["web"] / "uniques.jsonl"
    exported = run_cli("export", "--format", "jsonl", "--out", str(out), env=hosts.env("web"))
    assert exported.returncode == 0, exported.stderr[-2000:]
    by_id = {doc.doc_id: doc for doc in documents}  # (their texts read from the bucket by this process)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and all(row["text"] == by_id[row["id"]].display != "" for row in rows)
    rebuilt = run_cli("reindex", "--json", env={**hosts.env("web"), "DEDUPCRAWL_KEY_PREFIX": "again"})
    assert rebuilt.returncode == 0 and json.loads(rebuilt.stdout)["indexed"] == len(documents), rebuilt.stderr
    assert not list(hosts.homes["web"].rglob("*.warc.gz"))  # read from the bucket, nothing kept


def _every_capture_shown(base: str, bucket: ObjectArchive, doc: StoredDocument) -> int:
    """Each capture linked from the document page answers with the bytes the bucket holds."""
    page = shared._get(f"{base}/documents/{doc.doc_id}").decode("utf-8")
    links = shared.CAPTURE_LINK.findall(page)
    assert [int(index) for _, index in links] == list(range(len(doc.captures))), doc.url
    for path, index in links:
        ref = CaptureRef.from_dict(dict(doc.captures[int(index)]))
        assert not (bucket.spool / ref.warc_file).exists()  # a ranged GET, not a local file
        assert _get_text(f"{base}{path}/record").count(ref.warc_file) >= 1
        assert shared._get(f"{base}{path}") == read_page(bucket, ref).body != b""
    return len(links)


def _get_text(url: str) -> str:
    return shared._get(url).decode("utf-8")


def test_a_dead_endpoint_or_a_missing_object_is_one_line(object_server: ObjectServer, tmp_path: Path) -> None:
    address = ObjectStoreAddress.parse(f"s3://{BUCKET}/one", object_server.endpoint, ACCESS_KEY, SECRET_KEY)
    writer = WarcArchive(address.open(tmp_path / "spool"), "site/run")
    exchange = _exchange(url="http://site.test/a.html", body=b"<p>a</p>" * 50)
    ref = capture_ref(writer.write_exchange(exchange), exchange, "site", None)
    writer.sync()  # sealed and uploaded: the spool is empty, a reader on any host GETs the range
    assert not list((tmp_path / "spool").rglob("*.warc.gz"))
    reader = address.open(tmp_path / "elsewhere")
    assert read_page(reader, ref).body == b"<p>a</p>" * 50
    missing = replace(ref, warc_file="site/gone.warc.gz")
    dead = replace(address, endpoint=f"http://127.0.0.1:{free_port()}").open(tmp_path / "elsewhere")
    for location, found in ((reader, missing), (dead, ref)):
        with pytest.raises(WarcReadError) as raised:
            read_page(location, found)
        assert "\n" not in str(raised.value) and found.warc_file in str(raised.value)
    assert "no such object" in _message(reader, missing) and "127.0.0.1" in _message(dead, ref)


def _message(location: ObjectArchive, ref: CaptureRef) -> str:
    try:
        read_page(location, ref)
    except WarcReadError as exc:
        return str(exc)
    raise AssertionError("read")


def test_the_commands_say_in_one_line_what_is_wrong_with_the_object_store(
    redis_url: str, tmp_path: Path
) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path), REDIS_URL=redis_url, DEDUPCRAWL_ARCHIVE_URL="http://b/x")
    for bucket in ("http://bucket/x", "s3://b/x", "s3://Bucket/x"):
        bad = run_cli("status", env={**env, "DEDUPCRAWL_ARCHIVE_URL": bucket})
        assert bad.returncode != 0 and _one_error_line(bad.stderr).count("DEDUPCRAWL_ARCHIVE_URL") == 1
    dead = {
        **env,
        "DEDUPCRAWL_ARCHIVE_URL": "s3://bucket/x",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    listed = run_cli("reindex", env=dead)
    assert listed.returncode != 0 and "cannot list the archive" in _one_error_line(listed.stderr)


def _one_error_line(stderr: str) -> str:
    """The one `error:` line of a failed command (a progress bar may precede it), no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]
