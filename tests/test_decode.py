"""Bytes + headers → text for UTF-8 and the GB family, whatever (if anything) is declared."""

from __future__ import annotations

import codecs

import opencc
import pytest

from dedup.decode import binary_kind, canonical_charset, decode, header_charset, meta_charset
from dedup.errors import Rejected
from tests.conftest import SEEDS

TEXT = "同志们：今天我们召开全市教育工作会议，回顾总结去年的工作。會議講話。"


def _html(meta: str = "") -> str:
    return f"<html><head>{meta}<title>讲话</title></head><body><p>{TEXT}</p></body></html>"


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030"])
@pytest.mark.parametrize(
    ("header", "meta"),
    [
        ("text/html; charset={enc}", ""),  # header only
        ("text/html", '<meta charset="{enc}">'),  # <meta> only
        ("text/html; charset=utf-8", '<meta charset="{enc}">'),  # disagreeing, header wrong
        ("text/html; charset={enc}", '<meta charset="utf-8">'),  # disagreeing, meta wrong
        ("text/html", ""),  # nothing declared
        (None, ""),  # no content type at all
    ],
)
def test_gb_family_pages(encoding: str, header: str | None, meta: str) -> None:
    # GB2312 has no traditional characters
    text = TEXT.replace("會議講話", "会议讲话") if encoding == "gb2312" else TEXT
    html = _html(meta.format(enc=encoding)).replace(TEXT, text)
    decoded = decode(html.encode(encoding), header.format(enc=encoding) if header else None)
    assert text in decoded.text
    assert decoded.encoding == "gb18030"


@pytest.mark.parametrize(
    ("header", "meta", "source"),
    [
        ("text/html; charset=utf-8", "", "header"),
        ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">', "meta"),
        ("text/html; charset=gbk", '<meta charset="gb2312">', "utf-8"),  # both wrong
        ("text/html", "", "utf-8"),
    ],
)
def test_utf8_pages(header: str, meta: str, source: str) -> None:
    decoded = decode(_html(meta).encode("utf-8"), header)
    assert TEXT in decoded.text
    assert (decoded.encoding, decoded.source) == ("utf-8", source)


def test_boms_win() -> None:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        decoded = decode(bom + _html().encode(codec), "text/html; charset=gbk")
        assert TEXT in decoded.text and decoded.source == "bom"


def test_override_is_tried_first() -> None:
    big5 = "<html><body><p>會議講話，學習貫徹。</p></body></html>".encode("big5")
    assert "會議講話" in decode(big5, "text/html", override="big5").text


def test_undecodable_bytes_give_a_lossy_best_effort() -> None:
    body = _html().encode("utf-8")[:-40] + b"\xff\xfe\xfa" + _html().encode("utf-8")[-40:]
    decoded = decode(body, "text/html; charset=utf-8")
    assert (decoded.encoding, decoded.source) == ("utf-8", "lossy")  # not a strict GB18030 garble
    assert "同志们：今天我们召开全市教育工作会议" in decoded.text  # the junk went into a later character


def _seed_speeches(lengths: tuple[int, ...] = (200, 1000, 100_000)) -> list[tuple[str, str]]:
    """(simplified, traditional) openings of the seed speeches."""
    to_traditional = opencc.OpenCC("s2t")
    out = []
    for seed in sorted(SEEDS.glob("*.txt")):
        for length in lengths:
            text = seed.read_text(encoding="utf-8")[:length]
            out.append((text, to_traditional.convert(text)))
    return out


@pytest.mark.parametrize(("simplified", "traditional"), _seed_speeches())
def test_undeclared_big5_and_gbk_pages_read_as_what_they_are(simplified: str, traditional: str) -> None:
    """GB18030 decodes nearly every Big5 byte pair without an error: the reading most like
    Chinese prose wins, for Big5 (and cp950, with its euro sign) and GBK alike."""
    for text, encoding, expected in (
        (simplified, "gbk", "gb18030"),
        (traditional, "big5", "cp950"),
        (traditional + "€", "cp950", "cp950"),
    ):
        page = f"<html><body><p>{text}</p></body></html>".encode(encoding, "ignore")
        decoded = decode(page, "text/html")
        assert (decoded.encoding, decoded.source) == (expected, "sniffed")
        assert text.encode(encoding, "ignore").decode(encoding) in decoded.text


def test_a_damaged_big5_page_reads_as_big5_with_replacements() -> None:
    (_, traditional), *_ = _seed_speeches((3000,))
    page = f"<html><body><p>{traditional}</p></body></html>".encode("cp950", "ignore")
    damaged = page[:500] + b"\xff\xff" + page[500:]  # no codec takes 0xFF 0xFF
    decoded = decode(damaged, "text/html")
    assert (decoded.encoding, decoded.source) == ("cp950", "lossy")
    assert page[600:].decode("cp950", "ignore")[10:200] in decoded.text


def test_control_characters_and_nul_bytes_are_removed() -> None:
    decoded = decode(_html().replace("同志", "同\x00志\x07").encode(), "text/html")
    assert "同志" in decoded.text and "\x00" not in decoded.text


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"%PDF-1.5\n...", None, "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "text/html", "png"),
        (b"\xff\xd8\xff\xe0JFIF", None, "jpeg"),
        (b"PK\x03\x04docx", None, "zip"),
        (b"<html></html>", "image/gif", "image/gif"),
        (b"<html></html>", "application/octet-stream", "application/octet-stream"),
        (bytes(range(32)) * 100, None, "binary"),
    ],
)
def test_binary_bodies_are_recognised_and_rejected(body: bytes, content_type: str | None, kind: str) -> None:
    assert binary_kind(body, content_type) == kind
    with pytest.raises(Rejected) as caught:
        decode(body, content_type)
    assert (caught.value.reason, caught.value.detail) == ("binary", kind)


@pytest.mark.parametrize("content_type", ["text/html", "application/xhtml+xml", "text/plain", None])
def test_text_content_types_are_not_binary(content_type: str | None) -> None:
    assert binary_kind(_html().encode(), content_type) is None


def test_empty_body_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        decode(b" \r\n", "text/html")
    assert caught.value.reason == "empty_body"


def test_charset_helpers() -> None:
    assert header_charset('text/html; charset="GB2312"') == "GB2312"
    assert header_charset("text/html") is None
    assert meta_charset(b'<meta charset=gbk><meta charset="utf-8">') == "gbk"
    assert canonical_charset("GBK") == canonical_charset("gb2312") == "gb18030"
    assert canonical_charset("no-such-charset") is None
    assert canonical_charset(None) is None
