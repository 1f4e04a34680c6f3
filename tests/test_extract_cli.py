"""`dedupcrawl extract PATH [--url U] [--json]` on saved pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup.normalize import DEFAULT_NORM
from tests.extraction_quality import PAGES, fixture_pages
from workers.cli import app

runner = CliRunner()
REQUIRED = {
    "title", "published", "site", "text", "key_length", "removed", "truncated", "extractor",
    "norm_version",
}  # fmt: skip


@pytest.mark.parametrize("fixture", fixture_pages(), ids=lambda p: p.name)
def test_json_output_of_each_fixture_page(fixture) -> None:
    result = runner.invoke(
        app, ["extract", str(PAGES / fixture.name), "--url", fixture.entry["url"], "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record.keys() >= REQUIRED
    assert record["title"] == fixture.entry["title"]
    assert record["published"] == fixture.entry["published"]
    assert record["norm_version"] == DEFAULT_NORM.version
    assert record["extractor"] == "trafilatura" and record["truncated"] is False
    assert record["key_length"] > 1000
    assert all({"reason", "text"} == r.keys() for r in record["removed"])
    assert fixture.strings("first")[0] in record["text"]
    for fragment in fixture.strings("absent"):
        assert fragment not in record["text"]


def test_plain_output_shows_metadata_then_text() -> None:
    page = PAGES / "taowenge_fuquzhang_2021.html"
    result = runner.invoke(app, ["extract", str(page), "--url", "https://www.taowenge.example/p-1.html"])
    assert result.exit_code == 0, result.output
    head, _, text = result.stdout.partition("\n\n")
    assert "title:     副区长在2021年教育工作会议上的讲话范文" in head
    assert "page_chunk_marker" in head and "published: 2022-04-28" in head
    assert text.startswith("同志们")


def test_rejected_page_exits_1_with_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(empty), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"rejected": "empty_body", "detail": "0 bytes"}


def test_pdf_is_rejected_in_plain_mode(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.html"
    pdf.write_bytes(b"%PDF-1.7\n%binary")
    result = runner.invoke(app, ["extract", str(pdf)])
    assert result.exit_code == 1
    assert "rejected: binary: pdf" in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert "nope.html" in result.output


def test_charset_option_decodes_first(tmp_path: Path) -> None:
    speech = "同志們：今天我們召開全市教育工作會議，回顧總結去年的工作，部署今年的重點任務。" * 3
    page = tmp_path / "big5.html"
    page.write_bytes(f"<html><body><article><p>{speech}</p></article></body></html>".encode("big5"))
    result = runner.invoke(app, ["extract", str(page), "--charset", "big5", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["encoding"] == "big5" and "今天我们召开全市教育工作会议" in record["text"]
