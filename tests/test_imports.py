"""Foreign WARC files with damage in the middle: what follows the damage is imported too."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.capture import DocumentCapture
from crawler.errors import WarcDamage
from crawler.warc import WarcArchive, readable_records
from dedup.records import Rejection
from workers.imports import Importer

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
