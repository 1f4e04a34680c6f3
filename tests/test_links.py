"""Link rules: canonical URLs and continuation pages of a document."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from crawler.config import DEFAULT_PAGE_PATTERN, DEFAULT_TRACKING_PARAMS
from crawler.links import canonical, continuation_number, page_count

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
