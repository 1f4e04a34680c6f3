"""WARC capture: records warcio reads back, digests that verify, named errors for bad data."""

from __future__ import annotations

import base64
import gzip
import io
import json
import resource
import signal
import subprocess
import sys
import zlib
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from archive.capture import CaptureRef, DocumentCapture
from archive.content_coding import decoded
from archive.errors import BadContentCoding, DigestMismatch, UnsafeWarcHeader, WarcReadError
from archive.warc import (
    Exchange,
    WarcArchive,
    base32_160,
    capture_ref,
    iter_documents,
    iter_records,
    payload_digest,
    read_page,
)
from synthetic.fixture_web.process import FixtureServer

WHEN = datetime(2024, 3, 5, 8, 30, 1, 123456, tzinfo=UTC)


def _exchange(
    url: str = "http://site.test/doc/1.html",
    body: bytes = b"<html>\xe8\xae\xb2\xe8\xaf\x9d</html>",
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
) -> Exchange:
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "dedupcrawl-test"), ("Accept", "text/html")],
        status=status,
        reason="OK" if status == 200 else "Not Modified",
        response_headers=headers
        or [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
        body=body,
        fetched_at=WHEN,
    )


def _capture(archive: WarcArchive, exchange: Exchange) -> CaptureRef:
    return capture_ref(archive.write_exchange(exchange), exchange, "site", None)


def test_response_read_back_with_its_headers(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "site/run-1")
    ref = _capture(archive, _exchange())
    archive.close()
    page = read_page(tmp_path, ref)
    assert page.body == b"<html>\xe8\xae\xb2\xe8\xaf\x9d</html>"
    assert page.url == ref.url and page.capture_id == ref.capture_id and page.fetched_at == WHEN
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert page.header("transfer-encoding") is None  # the stored body is not chunked
    assert ref.warc_file.startswith("site/run-1-") and ref.payload_digest == payload_digest(page.body)


@given(st.binary(min_size=0, max_size=40))
def test_digest_labels_are_the_standard_base32(digest: bytes) -> None:
    assert base32_160(digest) == base64.b32encode(digest).decode("ascii")


@given(st.binary(min_size=20, max_size=20))
def test_sha1_digests_are_the_standard_base32(digest: bytes) -> None:
    assert base32_160(digest) == base64.b32encode(digest).decode("ascii")


def test_records_are_warc_1_1_that_warcio_verifies(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    ref = _capture(archive, _exchange())
    archive.write_revisit(_exchange(body=b"", status=304, headers=[("ETag", '"x"')]), ref)
    archive.write_document(DocumentCapture(ref.url, "site", "news", (ref,)))
    archive.close()
    with (tmp_path / ref.warc_file).open("rb") as handle:
        records = [
            (r.rec_type, r.rec_headers, r.content_stream().read())
            for r in ArchiveIterator(handle, check_digests="raise")
        ]
    kinds = [kind for kind, _, _ in records]
    assert kinds == ["warcinfo", "request", "response", "revisit", "metadata"]
    for kind, headers, _ in records:
        assert headers.protocol == "WARC/1.1"
        assert headers.get_header("WARC-Date").startswith("2024-03-05T08:30:01.123456") or kind in (
            "warcinfo",
            "metadata",
        )
    response = records[2][1]
    assert response.get_header("WARC-Target-URI") == ref.url
    assert response.get_header("WARC-Payload-Digest") == ref.payload_digest
    assert records[1][1].get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")
    revisit = records[3][1]
    assert revisit.get_header("WARC-Profile").endswith(
        "/revisit/identical-payload-digest"
    ) or "not-modified" in revisit.get_header("WARC-Profile")
    assert revisit.get_header("WARC-Refers-To-Target-URI") == ref.url
    assert revisit.get_header("WARC-Payload-Digest") == ref.payload_digest


def test_content_encoding_is_undone_but_digest_covers_the_raw_bytes(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    raw = gzip.compress("第1页/共6页".encode())
    ref = _capture(archive, _exchange(body=raw, headers=[("Content-Encoding", "gzip")]))
    archive.close()
    assert ref.payload_digest == payload_digest(raw)
    assert read_page(tmp_path, ref).body.decode() == "第1页/共6页"


def test_a_brotli_page_is_read_back_decoded(tmp_path: Path) -> None:
    """The crawler archives what the server sent: a site answering `br` (Scrapy asks for it) was
    read back still compressed, and its page rejected as binary."""
    archive = WarcArchive(tmp_path, "run")
    raw = brotli.compress("第1页/共6页".encode())
    ref = _capture(archive, _exchange(body=raw, headers=[("Content-Encoding", "br")]))
    archive.close()
    assert read_page(tmp_path, ref).body.decode() == "第1页/共6页"


def _coded(body: bytes, coding: str) -> bytes:
    if coding == "raw-deflate":  # deflate without its zlib header, as some servers send it
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(body) + packer.flush()
    return {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding](body)


@given(body=st.binary(max_size=200_000), coding=st.sampled_from(["gzip", "deflate", "raw-deflate", "br"]))
@settings(max_examples=40, deadline=None)
def test_a_coded_body_decodes_to_itself_and_a_limit_gives_its_start(body: bytes, coding: str) -> None:
    data, name = _coded(body, coding), coding.removeprefix("raw-")
    assert decoded(io.BytesIO(data), name) == body
    assert decoded(io.BytesIO(data), name, 1000) == body[:1000]


def test_a_bomb_is_decoded_no_further_than_the_limit_and_a_bad_body_is_named() -> None:
    for coding, pack in (("gzip", gzip.compress), ("br", brotli.compress)):
        bomb = pack(b"\0" * (64 * 2**20))
        assert len(decoded(io.BytesIO(bomb), coding, 2**20 + 1)) == 2**20 + 1
        with pytest.raises(BadContentCoding, match=f"bad {coding} body .the body is cut short"):
            decoded(io.BytesIO(bomb[: len(bomb) // 2]), coding)
    with pytest.raises(BadContentCoding, match="bad gzip body"):
        decoded(io.BytesIO(b"\x1f\x8b" + b"not gzip" * 10), "gzip")


@settings(max_examples=30, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=3000), min_size=1, max_size=6), roll=st.sampled_from([1, 2000, 10**9])
)
def test_every_capture_reads_back_across_rolling_files(
    tmp_path_factory: pytest.TempPathFactory, bodies: list[bytes], roll: int
) -> None:
    root = tmp_path_factory.mktemp("warc")
    archive = WarcArchive(root, "run", max_bytes=roll)
    refs = [
        _capture(archive, _exchange(url=f"http://site.test/{i}.html", body=b)) for i, b in enumerate(bodies)
    ]
    archive.close()
    assert [read_page(root, ref).body for ref in refs] == bodies
    files = {ref.warc_file for ref in refs}
    assert len(files) == (len(bodies) if roll == 1 else len(files))
    assert sum(1 for r in iter_records(root) if r.record_type == "response") == len(bodies)


@given(
    st.builds(
        CaptureRef,
        capture_id=st.text(min_size=1),
        url=st.text(min_size=1),
        warc_file=st.text(min_size=1),
        offset=st.integers(0, 2**40),
        length=st.integers(1, 2**31),
        payload_digest=st.text(),
        fetched_at=st.datetimes(timezones=st.just(UTC)),
        status=st.integers(100, 599),
        site=st.text(min_size=1),
        encoding_override=st.none() | st.sampled_from(["gbk", "utf-8"]),
    )
)
def test_capture_records_round_trip_through_dicts(ref: CaptureRef) -> None:
    assert CaptureRef.from_dict(ref.to_dict()) == ref
    doc = DocumentCapture(ref.url, ref.site, "docshare", (ref, ref))
    assert DocumentCapture.from_dict(doc.to_dict()) == doc


def test_wrong_digest_raises_digest_mismatch(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    ref = _capture(archive, _exchange())
    archive.close()
    with pytest.raises(DigestMismatch):
        read_page(tmp_path, replace(ref, payload_digest="sha1:" + "A" * 32))


def test_corrupt_truncated_or_misplaced_records_raise_named_errors(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    ref = _capture(archive, _exchange(body=b"x" * 5000))
    archive.close()
    path = tmp_path / ref.warc_file
    data = bytearray(path.read_bytes())
    data[ref.offset + ref.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WarcReadError):
        read_page(tmp_path, ref)
    with pytest.raises(WarcReadError, match="truncated"):
        read_page(tmp_path, replace(ref, length=ref.length + 10_000_000))
    with pytest.raises(WarcReadError, match="outside"):
        read_page(tmp_path, replace(ref, warc_file="../elsewhere.warc.gz"))
    with pytest.raises(WarcReadError, match="cannot read"):
        read_page(tmp_path, replace(ref, warc_file="missing.warc.gz"))
    with pytest.raises(WarcReadError, match=r"not a response|is for"):
        read_page(tmp_path, replace(ref, offset=0, length=ref.offset))


def test_scan_reports_a_truncated_file_and_keeps_the_readable_records(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    refs = [_capture(archive, _exchange(url=f"http://site.test/{i}.html")) for i in range(3)]
    archive.write_document(DocumentCapture(refs[0].url, "site", "news", (refs[0],)))
    archive.close()
    path = tmp_path / refs[0].warc_file
    path.write_bytes(path.read_bytes()[: refs[2].offset + 20])
    errors: list[WarcReadError] = []
    urls = [r.url for r in iter_records(tmp_path, on_error=errors.append) if r.record_type == "response"]
    assert urls == [refs[0].url, refs[1].url]
    assert len(errors) == 1 and refs[0].warc_file in str(errors[0])
    with pytest.raises(WarcReadError):
        list(iter_records(tmp_path))


def test_documents_can_be_regrouped_from_the_archive(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    pages = tuple(_capture(archive, _exchange(url=f"http://site.test/7_{i}.html")) for i in (1, 2, 3))
    doc = DocumentCapture("http://site.test/7_1.html", "site", "docshare", pages)
    archive.write_document(doc)
    archive.close()
    assert list(iter_documents(tmp_path)) == [doc]


@settings(max_examples=40, deadline=None)
@given(cut=st.floats(0.0, 1.0))
def test_a_file_cut_anywhere_reads_as_its_whole_records_and_one_named_error(
    tmp_path_factory: pytest.TempPathFactory, cut: float
) -> None:
    root = tmp_path_factory.mktemp("warc")
    archive = WarcArchive(root, "run")
    refs = [_capture(archive, _exchange(url=f"http://site.test/{i}.html", body=b"x" * 900)) for i in range(3)]
    archive.close()
    path = root / refs[0].warc_file
    data = path.read_bytes()
    ends = {0} | {r.offset + r.length for r in iter_records(root)}
    size = int(len(data) * cut)
    path.write_bytes(data[:size])
    errors: list[WarcReadError] = []
    urls = [r.url for r in iter_records(root, on_error=errors.append) if r.record_type == "response"]
    assert urls == [ref.url for ref in refs if ref.offset + ref.length <= size]
    assert len(errors) == (0 if size in ends else 1)


@settings(max_examples=40, deadline=None)
@given(at=st.floats(0.0, 1.0), size=st.integers(1, 3000))
def test_damage_anywhere_loses_only_the_records_it_touches(
    tmp_path_factory: pytest.TempPathFactory, at: float, size: int
) -> None:
    """Bytes flipped anywhere: every record they do not touch is still read (reading resumes
    after the damage), and whatever is lost is reported."""
    root = tmp_path_factory.mktemp("warc")
    archive = WarcArchive(root, "run")
    refs = [_capture(archive, _exchange(url=f"http://site.test/{i}.html", body=b"x" * 900)) for i in range(6)]
    archive.close()
    path = root / refs[0].warc_file
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    for i in range(start, min(start + size, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    untouched = [r.url for r in refs if r.offset + r.length <= start or r.offset >= start + size]
    errors: list[WarcReadError] = []
    urls = [r.url for r in iter_records(root, on_error=errors.append) if r.record_type == "response"]
    assert set(untouched) <= set(urls) <= {r.url for r in refs}
    assert urls == sorted(urls, key=[r.url for r in refs].index)  # in archive order, each once
    assert (len(urls) < len(refs)) <= (len(errors) > 0)


def test_buffered_archive_writes_whole_records_at_flush(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run", buffer_bytes=1 << 20)
    ref = _capture(archive, _exchange())
    path = tmp_path / ref.warc_file
    assert path.stat().st_size == 0  # nothing on disk before the flush, not even half a record
    archive.flush()
    assert read_page(tmp_path, ref).body == _exchange().body
    later = _capture(archive, _exchange(url="http://site.test/2.html"))
    archive.close()
    assert read_page(tmp_path, later).url == "http://site.test/2.html"
    assert [r.offset for r in iter_records(tmp_path) if r.record_type == "response"] == [
        ref.offset,
        later.offset,
    ]


# --- what reaches the archive: header values, and a full disk (#17.2, #17.7) ---


def test_a_header_value_with_cr_lf_or_non_ascii_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "run")
    for url in ("http://site.test/a\r\nWARC-Type: revisit", "http://site.test/讲话.html"):
        with pytest.raises(UnsafeWarcHeader):
            archive.write_exchange(_exchange(url=url))
    ref = _capture(archive, _exchange())
    archive.close()
    assert [r.record_type for r in iter_records(tmp_path)] == ["warcinfo", "request", "response"]
    assert read_page(tmp_path, ref).body == _exchange().body


ON_DISK = 6000  # bytes any one file of the child may reach: a tiny "disk"


def _tiny_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death, as ENOSPC on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (ON_DISK, ON_DISK))


_WRITER = """
import sys
from archive.warc import WarcArchive
from tests.test_warc import _exchange
archive = WarcArchive(sys.argv[1], "run", buffer_bytes=int(sys.argv[2]))
try:
    for n in range(40):
        archive.write_exchange(_exchange(url=f"http://site.test/doc/{n}.html", body=b"<p>%d</p>" % n * 50))
    archive.close()
except OSError as exc:
    print(f"{type(exc).__name__}: {exc}")
print(archive.captures_written, archive.captures_lost)
"""


@pytest.mark.parametrize("buffer_bytes", [0, 1 << 20])
def test_a_full_disk_leaves_only_whole_records_and_counts_what_was_written(
    tmp_path: Path, buffer_bytes: int
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(tmp_path), str(buffer_bytes)],
        capture_output=True, text=True, timeout=120, check=False, preexec_fn=_tiny_disk,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    error, counts = result.stdout.strip().splitlines()
    assert error.startswith("ArchiveWriteError: cannot write the WARC archive (run-")
    written, lost = map(int, counts.split())
    damage: list[WarcReadError] = []
    kinds = Counter(r.record_type for r in iter_records(tmp_path, damage.append))
    assert not damage  # nothing half-written
    assert kinds["response"] == written and written + lost > 0 and lost > 0


def test_a_crawl_on_a_full_disk_reports_the_captures_it_wrote(redis_url: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    with FixtureServer(docs=6, seed=3, crawl_delay=0.0) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        command = [sys.executable, "-m", "crawler.run", "--site", "fixture-news", "--sites-file", str(sites),
                   "--redis-url", redis_url, "--key-prefix", "full", "--warc-dir", str(warc_dir)]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=180, check=False, preexec_fn=_tiny_disk
        )
    run = json.loads(result.stdout.strip().splitlines()[-1])
    damage: list[WarcReadError] = []
    kinds = Counter(r.record_type for r in iter_records(warc_dir, damage.append))
    assert not damage, damage
    assert run["stats"]["captures"] == kinds["response"] + kinds["revisit"], (run["stats"], kinds)
    assert run["stats"]["errors"].get("capture_failed", 0) > 0 and run["status"] == "failed"
