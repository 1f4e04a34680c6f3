"""Link rules: canonical URLs and continuation pages of a document."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from crawler.config import DEFAULT_PAGE_PATTERN, DEFAULT_TRACKING_PARAMS
from crawler.links import LinkFinder, canonical, continuation_number, page_count

PAGE = re.compile(DEFAULT_PAGE_PATTERN)
COUNT = re.compile(r"共\s*(\d+)\s*页")

params = st.dictionaries(
    st.sampled_from(["id", "page", "utm_source", "spm", "from", "q"]),
    st.text("abc123", min_size=1, max_size=5),
)


@given(path=st.from_regex(r"/[a-z]{1,8}/[0-9]{1,5}\.html", fullmatch=True), query=params)
def test_canonical_drops_tracking_and_is_idempotent(path: str, query: dict[str, str]) -> None:
    url = (
        "http://Example.CN"
        + path
        + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        + "#top"
    )
    once = canonical(url, DEFAULT_TRACKING_PARAMS)
    assert canonical(once, DEFAULT_TRACKING_PARAMS) == once
    assert "#" not in once and once.startswith("http://example.cn/")
    assert not any(f"{p}=" in once for p in ("utm_source", "spm", "from"))
    assert ("id=" in once) == ("id" in query)


def test_continuation_pages_belong_to_their_document() -> None:
    doc = "http://a.cn/doc/12.html"
    assert continuation_number("http://a.cn/doc/12_2.html", doc, PAGE) == 2
    assert continuation_number("http://a.cn/doc/12_6.html", doc, PAGE) == 6
    assert continuation_number("http://a.cn/doc/123_2.html", doc, PAGE) is None  # another document
    assert continuation_number("http://a.cn/doc/12.html", doc, PAGE) is None
    assert continuation_number("http://b.cn/doc/12_2.html", doc, PAGE) is None
    query = re.compile(r"[?&]page=(\d+)")
    assert continuation_number("http://a.cn/doc/12.html?page=3", doc, query) == 3


def test_page_count_reads_the_pager() -> None:
    assert page_count("第1页/共6页 1 2 3 下一页", COUNT) == 6
    assert page_count("第 2 页 共 12 页", COUNT) == 12
    assert page_count("没有页码", COUNT) is None
    assert page_count("共0页", COUNT) is None


HREFS = st.sampled_from(
    [
        "/doc/12.html", "12_2.html", "../up.html", "?page=2", "#top", "", " /sp.html ", "//cdn.cn/a.html",
        "//", "http://", "http:rel.html", "HTTP://Other.CN/x.html", "https://a.cn/f.PDF", "pic.jpg",
        "mailto:a@b.cn", "javascript:void(0)", "ftp://a.cn/f", "http://[::1", "中文.html",
        "/doc/1.html?utm_source=x&id=3#f", "tel:123",
    ]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    hrefs=st.lists(HREFS, max_size=12),
    page=st.sampled_from(["http://Example.CN/a/b/page.html?x=1", "https://example.cn/a/", "http://a.cn"]),
    base=st.sampled_from(["", '<base href="/sub/dir/">', '<base href="http://b.cn/q/">']),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    restrict=st.sampled_from([None, "div.pager"]),
)
def test_link_finder_finds_what_scrapys_link_extractor_finds(
    hrefs: list[str], page: str, base: str, encoding: str, restrict: str | None
) -> None:
    anchors = "".join(f'<a href="{html.escape(h)}">x</a>' for h in hrefs)
    area = f'<area href="{html.escape(hrefs[0])}">' if hrefs else ""
    pager = f'<div class="pager">{anchors}{area}</div>'
    body = f"<html><head>{base}</head><body><p>{anchors}</p>{pager}</body></html>"
    headers = {"Content-Type": f"text/html; charset={encoding}"}
    response = HtmlResponse(page, body=body.encode(encoding, "xmlcharrefreplace"), headers=headers)
    extractor = LinkExtractor(restrict_css=restrict or (), unique=True)
    expected = [canonical(link.url, DEFAULT_TRACKING_PARAMS) for link in extractor.extract_links(response)]
    found = LinkFinder(restrict, DEFAULT_TRACKING_PARAMS).urls(response.replace())
    assert found == list(dict.fromkeys(expected))
