"""Several hosts, one archive: a crawler and two workers, each with a data directory of its own,
share nothing but the archive path (DEDUPCRAWL_ARCHIVE_DIR) and Redis; an import on a worker host
lands in the shared archive too; a web UI with a fourth data directory shows every capture of
every document from it, and a reindex there rebuilds every document. Writers sharing the folder
never share a file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import pytest
import redis

from archive import naming, warc
from archive.capture import CaptureRef
from archive.errors import WarcReadError
from archive.keys import Keys
from archive.warc import WarcArchive, iter_records, read_page
from synthetic.corpus import generate
from synthetic.fixture_web.process import FixtureServer
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import stores
from tests.test_warc import _capture, _exchange
from tests.web_data import corpus_lines
from workers.redis.ports import free_port
from workers.stores.store import Store, StoredDocument

PREFIX = "shared"
CAPTURE_LINK = re.compile(r'href="(/documents/[0-9a-f]+/captures/(\d+))/record"')


@dataclass(frozen=True)
class Hosts:
    """The archive every "host" mounts, and each one's settings (its own data directory)."""

    archive: Path
    homes: dict[str, Path]
    redis_url: str

    def env(self, host: str) -> dict[str, str]:
        return clean_env(
            DEDUPCRAWL_HOME=str(self.homes[host]), DEDUPCRAWL_ARCHIVE_DIR=str(self.archive),
            REDIS_URL=self.redis_url, DEDUPCRAWL_KEY_PREFIX=PREFIX, DEDUPCRAWL_LOG_LEVEL="WARNING",
        )  # fmt: skip


@pytest.fixture()
def hosts(redis_url: str, tmp_path: Path) -> Hosts:
    homes = {name: tmp_path / name for name in ("crawler", "worker-a", "worker-b", "web")}
    for home in homes.values():
        home.mkdir()
    return Hosts(tmp_path / "mounted" / "archive", homes, redis_url)


@pytest.mark.slow
def test_two_workers_ingest_a_third_process_crawl_and_the_web_shows_every_capture(
    hosts: Hosts, redis_client: redis.Redis
) -> None:
    store = stores(redis_client, Keys(PREFIX), warc_dir=hosts.archive).documents
    with FixtureServer(docs=12, seed=7, crawl_delay=0.0, slow_s=0.1) as web:
        sites = web.write_sites(hosts.homes["crawler"] / "sites.toml")
        first = _crawl(hosts, sites, "fixture-wenku")
        _drain(hosts, "worker-a")  # worker A alone: every document of the first crawl is its work
        assert len(_documents(store)) == first > 0, store.rejections()
        second = sum(_crawl(hosts, sites, site) for site in ("fixture-news", "fixture-gov"))
        _drain(hosts, "worker-b")
    imported = _import(hosts, "worker-b", hosts.homes["worker-b"].parent / "more.jsonl")
    documents = _documents(store)
    assert len(documents) == first + second + imported and second > 0, store.rejections()
    assert not list(store.rejections())
    for home in hosts.homes.values():  # nothing archived in any host's own data directory
        assert not list(home.rglob("*.warc.gz")), home
    status = json.loads(run_cli("status", "--json", env=hosts.env("web")).stdout)
    assert status["archive"] == str(hosts.archive.resolve())
    assert status["counts"]["documents"] == len(documents)
    with _served(hosts, "web") as base:
        shown = sum(_every_capture_shown(base, hosts.archive, doc) for doc in documents)
    assert shown == sum(len(doc.captures) for doc in documents) >= len(documents)
    rebuilt = run_cli("reindex", "--json", env={**hosts.env("web"), "DEDUPCRAWL_KEY_PREFIX": "again"})
    assert rebuilt.returncode == 0 and json.loads(rebuilt.stdout)["indexed"] == len(documents), rebuilt.stderr


def _crawl(hosts: Hosts, sites: Path, site: str) -> int:
    """One crawl by the crawler "host"; the number of documents it handed off."""
    done = run_cli("crawl", site, "--sites", str(sites), "--json", env=hosts.env("crawler"))
    assert done.returncode == 0, done.stderr[-2000:]
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded", run
    return int(run["stats"]["handed_off"])


def _import(hosts: Hosts, host: str, lines: Path) -> int:
    """An import on one of the hosts: archived into the shared archive, ingested inline."""
    lines.write_text("\n".join(corpus_lines(generate(2, seed=23))), encoding="utf-8")
    done = run_cli("import", str(lines), "--json", env=hosts.env(host))
    assert done.returncode == 0, done.stderr[-2000:]
    return int(json.loads(done.stdout)["indexed"])


def _drain(hosts: Hosts, host: str) -> None:
    command = ["worker", "--burst", "--queues", "ingest", "--name", host]
    done = run_cli(*command, env=hosts.env(host), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _documents(store: Store) -> list[StoredDocument]:
    found = store.get_many(store.document_ids())
    return [doc for doc in found if doc is not None]


def _every_capture_shown(base: str, archive: Path, doc: StoredDocument) -> int:
    """Each capture linked from the document page answers with the archived bytes."""
    page = _get(f"{base}/documents/{doc.doc_id}").decode("utf-8")
    links = CAPTURE_LINK.findall(page)
    assert [int(index) for _, index in links] == list(range(len(doc.captures))), doc.url
    for path, index in links:
        ref = CaptureRef.from_dict(dict(doc.captures[int(index)]))
        assert not Path(ref.warc_file).is_absolute() and (archive / ref.warc_file).is_file()
        assert ref.warc_file.encode("ascii") in _get(f"{base}{path}/record")
        assert _get(f"{base}{path}") == read_page(archive, ref).body != b""
    return len(links)


@contextlib.contextmanager
def _served(hosts: Hosts, host: str) -> Iterator[str]:
    """`dedupcrawl serve` on a free port, as the web "host"; its base URL, stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "workers", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=hosts.env(host), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(server, base)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def _wait_until_up(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}/healthz")
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())



_WRITER = """
import json, os, sys, time
from archive.warc import WarcArchive, capture_ref
from tests.test_warc import _exchange
folder, writer, go = sys.argv[1], sys.argv[2], sys.argv[3]
archive = WarcArchive(folder, "import", max_bytes=4000)  # every writer rolls over several files
while not os.path.exists(go):
    time.sleep(0.001)
refs = []
for n in range(30):
    exchange = _exchange(url=f"http://site.test/{writer}/{n}.html", body=f"<p>{writer} {n}</p>".encode() * 20)
    refs.append(capture_ref(archive.write_exchange(exchange), exchange, writer, None).to_dict())
archive.close()
print(json.dumps(refs))
"""


def test_writers_sharing_a_folder_and_a_name_never_share_a_file(tmp_path: Path) -> None:
    """Three processes (as on three hosts) write one archive folder at once, under one name."""
    folder, go = tmp_path / "archive", tmp_path / "go"
    command = [sys.executable, "-c", _WRITER, str(folder)]
    writers = [subprocess.Popen([*command, f"w{n}", str(go)], stdout=subprocess.PIPE) for n in range(3)]
    go.touch()
    printed = [json.loads(writer.communicate(timeout=60)[0]) for writer in writers]
    assert all(writer.returncode == 0 for writer in writers)
    refs = [CaptureRef.from_dict(ref) for written in printed for ref in written]
    for ref in refs:
        number = ref.url.rsplit("/", 1)[-1].removesuffix(".html")
        assert read_page(folder, ref).body == f"<p>{ref.site} {number}</p>".encode() * 20
    writers_of = {ref.warc_file: {r.site for r in refs if r.warc_file == ref.warc_file} for ref in refs}
    assert all(len(found) == 1 for found in writers_of.values()) and len(writers_of) > 3
    damage: list[WarcReadError] = []
    assert sum(r.record_type == "response" for r in iter_records(folder, damage.append)) == len(refs) == 90
    assert not damage


def test_a_taken_file_name_is_never_appended_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another host's file under the very name this writer picked (same tag) stays untouched."""
    tag = naming.new_writer_tag()
    monkeypatch.setattr(warc, "new_writer_tag", lambda: tag)
    monkeypatch.setattr(naming, "datetime", _Stopped)
    taken = tmp_path / tag.file_name("import", 1)
    taken.write_bytes(b"another host's records")
    ref = _capture(WarcArchive(tmp_path, "import"), _exchange())
    assert taken.read_bytes() == b"another host's records"
    assert ref.warc_file == tag.file_name("import", 2) and read_page(tmp_path, ref).body == _exchange().body


class _Stopped(datetime):
    """A clock that always says the same time (the writer's names differ by their seq alone)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Stopped:
        return cls(2026, 1, 2, 3, 4, 5, 678901, tzinfo=tz)


def test_files_of_one_name_sort_in_the_order_they_were_begun(tmp_path: Path) -> None:
    """reindex reads files in name order: a page archived again must come after its first text."""
    refs = []
    for n in range(20):  # one import after another, each a writer (and a file) of its own
        archive = WarcArchive(tmp_path, "import")
        refs.append(_capture(archive, _exchange(body=b"<p>%d</p>" % n)))
        archive.close()
    assert [ref.warc_file for ref in refs] == sorted(ref.warc_file for ref in refs)
    bodies = [read_page(tmp_path, r).body for r in refs]
    assert bodies == [b"<p>%d</p>" % n for n in range(20)]


def test_a_forked_copy_of_a_writer_writes_a_file_of_its_own(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "import")
    parent = _capture(archive, _exchange(url="http://site.test/parent.html"))
    pid = os.fork()
    if pid == 0:  # the child: one record, then out without running the test framework's exit
        _capture(archive, _exchange(url="http://site.test/child.html"))
        archive.close()
        os._exit(0)
    os.waitpid(pid, 0)
    later = _capture(archive, _exchange(url="http://site.test/later.html"))
    archive.close()
    files = {r.url: r.warc_file for r in iter_records(tmp_path) if r.record_type == "response"}
    assert files["http://site.test/parent.html"] == files["http://site.test/later.html"] == parent.warc_file
    assert files["http://site.test/child.html"] != parent.warc_file
    assert read_page(tmp_path, later).url == "http://site.test/later.html"
