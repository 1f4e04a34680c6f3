"""decode → extract → normalize on the fixture pages, the fallbacks, and bad input."""

from __future__ import annotations

import re
from datetime import date

import opencc
import pytest

from dedup.errors import Rejected
from dedup.extract import density_text, extract, far_too_little
from dedup.normalize import normalize
from dedup.page_metadata import page_metadata
from dedup.records import Extraction, Page
from tests.extraction_quality import FixturePage, char_precision_recall, fixture_pages

FLOOR = 0.98
PAGES = fixture_pages()
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_TONED_PINYIN = re.compile(r"[（(][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
_T2S = opencc.OpenCC("t2s")


@pytest.fixture(scope="module", params=PAGES, ids=[p.name for p in PAGES])
def result(request: pytest.FixtureRequest) -> tuple[FixturePage, Extraction, object]:
    fixture: FixturePage = request.param
    extraction = extract(fixture.page)
    return fixture, extraction, normalize(extraction)


def test_display_text_matches_the_hand_written_text(result) -> None:
    fixture, _, normalized = result
    precision, recall = char_precision_recall(normalized.display, fixture.expected)
    assert precision >= FLOOR, f"precision {precision:.4f}"
    assert recall >= FLOOR, f"recall {recall:.4f}"


def test_display_text_is_free_of_noise(result) -> None:
    fixture, _, normalized = result
    display = normalized.display
    assert not _TAG.search(display)
    assert not _TONED_PINYIN.search(display)
    assert _T2S.convert(display) == display, "traditional characters left"
    for fragment in fixture.strings("absent"):
        assert fragment not in display, fragment
    for fragment in fixture.strings("once"):
        assert display.count(fragment) == 1, fragment
    tags = fixture.strings("tag_cloud")
    if tags:
        assert "\n".join(tags[:3]) not in display


def test_display_text_holds_the_whole_speech_in_paragraphs(result) -> None:
    fixture, _, normalized = result
    lines = normalized.display.split("\n")
    assert lines[0].startswith(fixture.strings("first")[0])
    assert lines[-1].endswith(fixture.strings("last")[0])
    assert fixture.expected.count("\n") <= 1 or len(lines) >= 10


def test_metadata(result) -> None:
    fixture, extraction, normalized = result
    assert normalized.title == fixture.entry["title"]
    assert extraction.published == date.fromisoformat(str(fixture.entry["published"]))
    assert extraction.extractor == "trafilatura"
    assert normalized.norm_version and normalized.truncated is False


def test_gbk_page_without_declared_charset_is_decoded() -> None:
    fixture = next(p for p in PAGES if "charset" not in str(p.entry["content_type"]))
    assert b"charset" not in fixture.page.body.lower()
    assert extract(fixture.page).encoding == "gb18030"


def test_removals_are_recorded_with_reasons(result) -> None:
    _, _, normalized = result
    assert normalized.removed
    assert all(r.reason and r.text for r in normalized.removed)


def _page(body: bytes, content_type: str = "text/html") -> Page:
    return Page("c1", "http://example.test/a", body, (("Content-Type", content_type),))


SPEECH = "同志们：今天我们召开全市教育工作会议，主要任务是回顾总结去年的工作，部署今年的重点任务。" * 4


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/html", "empty_body"),
        (b"   \n\t ", "text/html", "empty_body"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "binary"),
        (b"%PDF-1.4 body served as html", "text/html", "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html", "binary"),
        (b"\x00\x01\x02\x03" * 500, "text/html", "binary"),
    ],
)
def test_bad_bodies_are_rejected_with_a_reason(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        extract(_page(body, content_type))
    assert caught.value.reason == reason


def test_page_of_only_navigation_is_rejected() -> None:
    links = "".join(f'<li><a href="/c/{i}">栏目{i}</a></li>' for i in range(40))
    body = f"<html><body><nav><ul>{links}</ul></nav><footer>京ICP备123号</footer></body></html>"
    with pytest.raises(Rejected) as caught:
        extract(_page(body.encode()))
    assert caught.value.reason == "no_main_text"


def test_ten_megabytes_of_one_line_give_a_best_effort_text() -> None:
    body = b"<html><body><p>" + "会议精神".encode() * (10_000_000 // 12) + b"</p></body></html>"
    normalized = normalize(extract(_page(body)))
    assert normalized.display.startswith("会议精神") and "\n" not in normalized.display


def test_ten_megabytes_of_ascii_in_one_line_are_too_large() -> None:
    body = b"<html><body><p>" + b"x" * 10_000_000 + b"</p></body></html>"
    with pytest.raises(Rejected) as caught:
        extract(_page(body))
    assert caught.value.reason == "too_large"


def test_nul_bytes_are_dropped_and_the_text_kept() -> None:
    html = f"<html><body><article><p>{SPEECH}</p></article></body></html>".encode()
    body = html.replace("会议".encode(), "会\x00议".encode())
    extraction = extract(_page(body, "text/html; charset=utf-8"))
    assert "\x00" not in extraction.text and "会议" in extraction.text


def test_broken_unclosed_html_gives_best_effort_text() -> None:
    body = f"<html><body><div><p>{SPEECH}<p><b>未闭合<div><span>".encode()
    assert "今天我们召开全市教育工作会议" in extract(_page(body)).text


def test_five_thousand_deep_nesting_gives_a_best_effort_text() -> None:
    # libxml2 stops building the tree at this depth: the text runs between tags remain.
    body = ("<div>" * 5000 + f"<p>{SPEECH}</p>" + "</div>" * 5000).encode()
    extraction = extract(_page(body))
    assert extraction.extractor == "density"
    assert extraction.text == SPEECH


def test_wrong_declared_charset_is_overruled() -> None:
    html = f'<html><head><meta charset="utf-8"></head><body><p>{SPEECH}</p></body></html>'
    extraction = extract(_page(html.encode("gbk"), "text/html; charset=utf-8"))
    assert "全市教育工作会议" in extraction.text


def test_recall_retry_and_density_fallback_are_recorded() -> None:
    # Text in a table cell full of links: trafilatura's default pass may find nothing there.
    cells = "".join(f"<td><a href='/x{i}'>链接{i}</a></td>" for i in range(30))
    body = f"<html><body><table><tr>{cells}</tr><tr><td>{SPEECH}</td></tr></table></body></html>"
    extraction = extract(_page(body.encode()), min_chars=len(SPEECH) // 2)
    assert extraction.extractor in {"trafilatura", "trafilatura_recall", "density"}
    assert "全市教育工作会议" in extraction.text


def test_far_too_little_compares_with_the_chinese_text_in_the_page() -> None:
    html = f"<html><body><div>{SPEECH * 10}</div><p>导航</p></body></html>"
    assert far_too_little("导航" * 10, html)
    assert not far_too_little(SPEECH * 10, html)
    assert not far_too_little("短", "<p>短文</p>")


@pytest.mark.parametrize(
    ("wrapper", "path"),
    [
        ("<article><p>{}</p></article>", "trafilatura"),
        ("<aside><div>{}</div></aside>", "trafilatura_recall"),  # the fast pass drops asides
        ("<div>" * 5000 + "<p>{}</p>" + "</div>" * 5000, "density"),  # libxml2 gives up
    ],
)
def test_each_extraction_path_is_recorded(wrapper: str, path: str) -> None:
    body = "<html><body>" + wrapper.format(SPEECH) + "</body></html>"
    extraction = extract(_page(body.encode()))
    assert extraction.extractor == path
    assert "全市教育工作会议" in extraction.text


def test_comments_are_excluded_on_every_path() -> None:
    body = f"<html><body><div class='comment-list'><p>{SPEECH}</p></div></body></html>"
    with pytest.raises(Rejected) as caught:
        extract(_page(body.encode()))
    assert caught.value.reason == "no_main_text"


def test_density_fallback_picks_the_paragraph_block() -> None:
    html = (
        "<html><body><div class=nav><a>首页</a><a>新闻</a></div>"
        f"<div class=main><p>{SPEECH}</p><p>{SPEECH[:40]}</p></div>"
        "<div class=side><p>热门</p></div></body></html>"
    )
    text = density_text(html)
    assert text.startswith("同志们") and "首页" not in text and "热门" not in text
    assert text.count("\n") == 1


def test_a_too_high_minimum_falls_through_to_a_rejection() -> None:
    body = f"<html><body><p>{SPEECH}</p></body></html>".encode()
    with pytest.raises(Rejected) as caught:
        extract(_page(body), min_chars=10 * len(SPEECH))
    assert caught.value.reason == "no_main_text"


def test_page_metadata_from_meta_tags_headings_and_url() -> None:
    html = (
        "<html><head><title>标题甲 - 某某网</title>"
        "<meta content='作者乙' name='author'><meta property='og:site_name' content='某某网'>"
        "</head><body><h1>标题丙</h1><span>发布日期：2021年6月1日</span></body></html>"
    )
    meta = page_metadata(html, "https://news.example.cn/a/1.html")
    assert (meta.title, meta.author, meta.site) == ("标题丙", "作者乙", "某某网")
    assert meta.published == date(2021, 6, 1)
    bare = page_metadata("<title>只有&amp;标题</title>", "http://www.example.cn/x")
    assert (bare.title, bare.author, bare.site, bare.published) == ("只有&标题", None, "www.example.cn", None)
    og = page_metadata('<meta property="og:title" content="社交标题"><h1>正文标题</h1>')
    assert og.title == "社交标题"
