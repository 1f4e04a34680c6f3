"""Imports: every record stands alone (a bad line, file or WARC record is a rejection and the
rest goes on), IRIs, what a folder import may read, size caps; foreign WARC files with damage in
the middle (what follows the damage is imported too)."""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest
import redis
from fastapi.testclient import TestClient
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.capture import CaptureRef, DocumentCapture
from archive.errors import WarcDamage, WarcReadError
from archive.keys import Keys
from archive.urls import canonical_url, display_url
from archive.warc import DERIVED_FOLDER, WarcArchive, iter_records, read_page, readable_records
from dedup.records import Rejection
from synthetic.corpus import generate
from tests.cli_process import clean_env
from tests.engine_stack import stores
from workers.flow.imports import Importer
from workers.stores.store import Store
from workers.web import create_app

PAGE = "<html><body><article><p>同志们：今天我们召开第{n}次全市教育工作会议。</p></article></body></html>"


def _foreign_warc(path: Path, gzipped: bool, count: int = 5) -> list[int]:
    """`count` HTML responses; returns each record's offset."""
    buffer, offsets = io.BytesIO(), []
    writer = WARCWriter(buffer, gzip=gzipped)
    for n in range(count):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        payload = io.BytesIO(PAGE.format(n=n).encode("utf-8"))
        url = f"http://site.test/{n}.html"
        record = writer.create_warc_record(url, "response", payload, http_headers=http)
        offsets.append(buffer.tell())
        writer.write_record(record)
    path.write_bytes(buffer.getvalue())
    return offsets


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_record_damaged_in_the_middle_is_reported_and_the_rest_imported(
    tmp_path: Path, gzipped: bool
) -> None:
    path = tmp_path / ("foreign.warc.gz" if gzipped else "foreign.warc")
    offsets = _foreign_warc(path, gzipped)
    data = bytearray(path.read_bytes())
    for i in range(offsets[2], offsets[2] + 40):  # record 2's first bytes: no header, no gzip magic
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))

    damage: list[WarcDamage] = []
    urls = [r.rec_headers.get_header("WARC-Target-URI") for r in readable_records(path, damage.append)]
    assert urls == [f"http://site.test/{n}.html" for n in (0, 1, 3, 4)]
    assert [(d.offset, d.resumed_at) for d in damage] == [(offsets[2], offsets[3])]

    archive = WarcArchive(tmp_path / "archive", "import")
    results = list(Importer(archive).warc(path))
    archive.close()
    imported = [r.doc_url for r in results if isinstance(r, DocumentCapture)]
    assert imported == [f"http://site.test/{n}.html" for n in (0, 1, 3, 4)]
    assert [r.reason for r in results if isinstance(r, Rejection)] == ["unreadable_warc"]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_brotli_encoded_response_is_imported_decoded(tmp_path: Path, chunked: bool) -> None:
    """warcio 1.8.1 raised on every brotli body (a bad_encoding rejection) and 1.8.2 hands the
    compressed bytes over (a `binary` one): the import decodes them itself."""
    html = PAGE.format(n=7).encode("utf-8")
    body = brotli.compress(html)
    if chunked:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br")]
    headers += [("Transfer-Encoding", "chunked")] if chunked else []
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    url = "http://site.test/br.html"
    writer.write_record(writer.create_warc_record(url, "response", io.BytesIO(body), http_headers=http))
    path = tmp_path / "br.warc.gz"
    path.write_bytes(buffer.getvalue())
    archive = WarcArchive(tmp_path / "archive", "import")
    importer = Importer(archive)
    (result,) = list(importer.warc(path))
    archive.close()
    assert isinstance(result, DocumentCapture), result
    page = read_page(tmp_path / "archive", result.pages[0])
    assert page.body == html and page.header("content-encoding") is None


def test_a_cut_brotli_body_is_a_bad_encoding(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "br")]
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    cut = brotli.compress(PAGE.format(n=8).encode("utf-8") * 50)[:-10]
    url = "http://site.test/cut.html"
    writer.write_record(writer.create_warc_record(url, "response", io.BytesIO(cut), http_headers=http))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(buffer.getvalue())
    archive = WarcArchive(tmp_path / "archive", "import")
    (result,) = list(Importer(archive).warc(path))
    archive.close()
    assert isinstance(result, Rejection) and result.reason == "bad_encoding", result


def test_damage_with_nothing_readable_after_it_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "foreign.warc.gz"
    offsets = _foreign_warc(path, True, count=3)
    data = path.read_bytes()
    path.write_bytes(data[: offsets[2]] + b"\x00" * 500)
    damage: list[WarcDamage] = []
    assert len(list(readable_records(path, damage.append))) == 2
    assert len(damage) == 1 and "nothing readable after it" in str(damage[0])


def test_damage_in_the_middle_and_a_cut_off_last_record_are_both_reported_and_skipped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "foreign.warc.gz"
    offsets = _foreign_warc(path, True)
    data = bytearray(path.read_bytes()[:-20])  # the last record cut off: warcio reads it silently
    for i in range(offsets[1], offsets[1] + 40):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    archive = WarcArchive(tmp_path / "archive", "import")
    results = list(Importer(archive).warc(path))
    archive.close()
    problems = [r.detail for r in results if isinstance(r, Rejection) and r.reason == "unreadable_warc"]
    assert len(problems) == 2 and "cut off" in problems[1]
    imported = [r.doc_url for r in results if isinstance(r, DocumentCapture)]
    assert imported == [f"http://site.test/{n}.html" for n in (0, 2, 3)]  # not the cut-off one


# --- every record stands alone (#17.2), IRIs (#16), what a folder import reads (#18.1) ---

GUARD_BYTES = 4 << 30  # the child's address space: a runaway read fails there, not on the machine


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GUARD_BYTES, GUARD_BYTES))


def _import_cli(path: Path, home: Path, redis_url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`dedupcrawl import PATH` in a child process with bounded memory and time."""
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX="imp")
    return subprocess.run(
        [sys.executable, "-m", "workers", "import", str(path), *flags],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=240, check=False,
        preexec_fn=_limited,  # only sets an rlimit, before exec
    )  # fmt: skip


def _store(redis_url: str, home: Path) -> Store:
    return stores(redis.Redis.from_url(redis_url), Keys("imp"), warc_dir=home / "warc").documents


def _speeches(count: int, seed: int) -> list[str]:
    return [d.text for d in generate(count, seed=seed)]


def _records(texts: list[str], urls: list[str]) -> list[bytes]:
    pairs = zip(urls, texts, strict=True)
    return [json.dumps({"url": u, "text": t}, ensure_ascii=False).encode() for u, t in pairs]


DEEP = b"[" * 1000 + b"]" * 1000
BAD_LINES = {  # each bad record of the issue -> the reason it must be rejected with
    b'{"url": "https://s.example.com/surrogate.html", "text": "\\ud800 x"}': "bad_text",
    b'{"url": "https://s.example.com/deep.html", "text": "x", "n": ' + DEEP + b"}": "bad_json",
    b'{"url": "http://[::1", "text": "x"}': "bad_url",
    b'{"url": "https://s.example.com/a\\r\\nWARC-Type: revisit", "text": "x"}': "bad_url",
}


def test_each_bad_jsonl_record_is_rejected_with_its_line_and_the_rest_is_indexed(
    redis_url: str, tmp_path: Path
) -> None:
    texts = _speeches(6, seed=21)
    urls = [  # odd but good: all indexed, each under one canonical URL
        "https://www.example.cn/讲话/1.html", "https://s.example.com/with space.html",
        "HTTP://S.Example.com/upper.html", "http://例子.中国/路径/2.html",
        "https://s.example.com/plain.html", "https://s.example.com/讲话?稿=3",
    ]  # fmt: skip
    good = _records(texts, urls)
    lines = [good[0], *BAD_LINES, good[1], good[2], b"", good[3], good[4], good[5]]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    result = _import_cli(path, tmp_path / "home", redis_url, "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["indexed"] == len(good) and report["rejected"] == len(BAD_LINES)
    assert report["reasons"] == {"bad_json": 1, "bad_text": 1, "bad_url": 2}
    listed = {(r["input"], r["reason"]) for r in report["rejections"]}
    assert listed == {(f"mixed.jsonl:{n}", reason) for n, reason in enumerate(BAD_LINES.values(), 2)}

    store = _store(redis_url, tmp_path / "home")
    for url in urls:  # found by the URL as given, stored in the canonical form
        doc = store.find(url)
        assert doc is not None and doc.url == canonical_url(url), url
    assert store.find("https://www.example.cn/%E8%AE%B2%E8%AF%9D/1.html") is not None
    assert len(store.document_ids()) == len(good)
    warc = tmp_path / "home" / "warc"
    client = TestClient(create_app(stores(store.connection, Keys("imp"), warc_dir=warc), warc, None))
    page = client.get(f"/documents/{store.find(urls[0]).doc_id}")  # type: ignore[union-attr]
    assert page.status_code == 200 and ">https://www.example.cn/讲话/1.html<" in page.text  # shown in Unicode
    text = _import_cli(path, tmp_path / "home2", redis_url)  # the summary: reasons with counts
    assert "bad_url 2" in text.stderr and "bad_json 1" in text.stderr, text.stderr[-2000:]


def test_an_imported_iri_is_archived_as_ascii_and_read_back(tmp_path: Path) -> None:
    """RFC 3987: the WARC target is the percent-encoded URI; the record reads back under it."""
    path = tmp_path / "iri.jsonl"
    path.write_bytes(b"\n".join(_records(["会议强调，要深入学习。"], ["https://www.example.cn/讲话/1.html"])))
    archive = WarcArchive(tmp_path / "warc", "import")
    (capture,) = list(Importer(archive).jsonl(path))
    archive.close()
    assert isinstance(capture, DocumentCapture)
    assert capture.doc_url == "https://www.example.cn/%E8%AE%B2%E8%AF%9D/1.html"
    assert display_url(capture.doc_url) == "https://www.example.cn/讲话/1.html"
    assert read_page(tmp_path / "warc", capture.pages[0]).url == capture.doc_url
    for record in iter_records(tmp_path / "warc"):
        assert record.url.isascii()


def _folder_with_hostile_entries(folder: Path) -> list[str]:
    """Good pages (one with a Chinese name, one with CR/LF in its name) and, next to them, links
    out of the folder, a device, a FIFO and a socket. Returns the good pages' names."""
    folder.mkdir()
    names = ["plain.html", "uni中文.html", "crlf\r\nWARC-Type: revisit.html"]
    for name, text in zip(names, _speeches(len(names), seed=23), strict=True):
        paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
        (folder / name).write_text(f"<html><body><article>{paragraphs}</article></body></html>")
    (folder / "passwd.html").symlink_to("/etc/passwd")
    (folder / "zero.html").symlink_to("/dev/zero")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(folder / "pipe.html")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "sock.html"))
    return names


def test_a_folder_import_reads_only_regular_files_inside_the_folder(redis_url: str, tmp_path: Path) -> None:
    names = _folder_with_hostile_entries(tmp_path / "pages")
    result = _import_cli(tmp_path / "pages", tmp_path / "home", redis_url, "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    refused = {r["input"]: r["reason"] for r in report["rejections"]}
    assert refused == {
        "etc": "symlink", "passwd.html": "symlink", "zero.html": "symlink",
        "pipe.html": "not_regular_file", "sock.html": "not_regular_file",
    }  # fmt: skip
    store = _store(redis_url, tmp_path / "home")
    shown = {display_url(store.get(d).url) for d in store.document_ids()}  # type: ignore[union-attr]
    assert shown == {display_url(f"https://import.invalid/{quote(n)}") for n in names}
    assert "https://import.invalid/uni中文.html" in shown
    archived = b"".join(p.read_bytes() for p in (tmp_path / "home" / "warc").rglob("*.warc.gz"))
    assert b"root:" not in gzip.decompress(archived)
    kinds = Counter(r.record_type for r in iter_records(tmp_path / "home" / "warc", skip=(DERIVED_FOLDER,)))
    assert kinds == {"warcinfo": 1, "request": 3, "response": 3, "metadata": 3}  # nothing injected
    derived = Counter(r.record_type for r in iter_records(tmp_path / "home" / "warc" / DERIVED_FOLDER))
    assert derived == {"warcinfo": 1, "conversion": 3}  # the three texts


# --- size caps on every path, read without holding more than the cap (#17.3) ---

_MEASURE = """
import json, resource, sys
from pathlib import Path
from archive.warc import WarcArchive
from workers.flow.imports import Importer
source, warc = Path(sys.argv[1]), Path(sys.argv[2])
archive = WarcArchive(warc, "import")
importer = Importer(archive)
by_kind = {"pages": importer.html_folder, "pages.warc.gz": importer.warc, "lines.jsonl": importer.jsonl}
read = by_kind[source.name]
items = [getattr(item, "reason", "imported") for item in read(source)]
archive.close()
print(json.dumps({"items": items, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
HEADROOM_KB = 64 * 1024  # above the same child importing a small input: the 10 MB cap and copies of it


def _measured_import(source: Path, warc_dir: Path) -> tuple[list[str], int]:
    """What importing `source` yielded, and the peak resident memory of the child that did it."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(source), str(warc_dir)],
        capture_output=True, text=True, timeout=300, check=False, preexec_fn=_limited,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    return found["items"], found["maxrss_kb"]


def _page_bytes(text: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    return f"<html><body><article>{paragraphs}</article></body></html>".encode()


def _oversized_inputs(root: Path, big: bool) -> dict[str, Path]:
    """A folder, a JSON Lines file and a WARC file, each a good record and (when `big`) one
    over the cap: a sparse 1.5 GB page, a 30 MB line, a 30 MB payload."""
    good = _page_bytes(_speeches(1, seed=29)[0])
    folder = root / "pages"
    folder.mkdir(parents=True)
    (folder / "good.html").write_bytes(good)
    lines = [json.dumps({"url": "https://s.example.com/good.html", "html": good.decode()}).encode()]
    responses = [("https://s.example.com/good.html", good)]
    if big:
        with (folder / "huge.html").open("wb") as handle:
            handle.truncate(1536 << 20)  # sparse: no disk, but 1.5 GB to whoever reads it
        big_line = {"url": "https://s.example.com/big.html", "text": "字" * (5 << 20)}  # 30 MB as \\u5b57
        lines.insert(0, json.dumps(big_line).encode())
        responses.insert(0, ("https://s.example.com/big.html", b"<html><body>" + b"x" * (30 << 20)))
    (root / "lines.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with (root / "pages.warc.gz").open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body in responses:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", io.BytesIO(body), http_headers=http)
            writer.write_record(record)
    return {"folder": folder, "jsonl": root / "lines.jsonl", "warc": root / "pages.warc.gz"}


def test_inputs_over_the_size_cap_are_rejected_without_being_read_whole(tmp_path: Path) -> None:
    small = _oversized_inputs(tmp_path / "small", big=False)
    large = _oversized_inputs(tmp_path / "large", big=True)
    for kind in ("folder", "jsonl", "warc"):
        items, baseline_kb = _measured_import(small[kind], tmp_path / "warc-small" / kind)
        assert items == ["imported"], (kind, items)
        items, peak_kb = _measured_import(large[kind], tmp_path / "warc-large" / kind)
        assert sorted(items) == ["imported", "too_large"], (kind, items)
        assert peak_kb - baseline_kb < HEADROOM_KB, (kind, peak_kb, baseline_kb)
        archived = sum(p.stat().st_size for p in (tmp_path / "warc-large" / kind).rglob("*.warc.gz"))
        assert archived < 1 << 20, (kind, archived)  # the big one was not archived


# --- a full disk (#17.7): one line, a readable archive ---

ARCHIVE_LIMIT = 48 * 1024  # bytes any one file of the child may reach (RLIMIT_FSIZE): the "disk"


def _small_disk() -> None:
    """The child's files stop growing at ARCHIVE_LIMIT: writes past it fail with EFBIG (the
    signal that would kill the process instead is ignored), as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (ARCHIVE_LIMIT, ARCHIVE_LIMIT))


def test_an_import_on_a_full_disk_stops_with_one_line_and_a_readable_archive(
    redis_url: str, tmp_path: Path
) -> None:
    docs = generate(60, seed=31)
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"\n".join(_records([d.text for d in docs], [d.url for d in docs])) + b"\n")
    home = tmp_path / "home"
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX="imp")
    result = subprocess.run(
        [sys.executable, "-m", "workers", "import", str(path)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=240, check=False,
        preexec_fn=_small_disk,
    )  # fmt: skip
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot write the WARC archive" in errors[0], result.stderr[-2000:]
    assert "many.jsonl:" in errors[0]  # where it stopped

    damage: list[WarcReadError] = []
    records = list(iter_records(home / "warc", damage.append))
    assert not damage and records  # no half record left behind
    store = _store(redis_url, home)
    stored = [d for d in store.get_many(store.document_ids()) if d]
    assert 0 < len(stored) < len(docs)
    for doc in stored:  # everything the store points at reads back
        for page in doc.captures:
            read_page(home / "warc", CaptureRef.from_dict(page))
