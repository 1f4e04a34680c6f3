"""One canonical URL form (archive.urls): ASCII for WARC, stable, and readable back in Unicode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import BadUrl
from archive.keys import url_hash
from archive.urls import canonical_url, display_url

SPELLINGS = {  # one address, spelled as people and pages write it -> its canonical form
    "https://www.example.cn/讲话/1.html": "https://www.example.cn/%E8%AE%B2%E8%AF%9D/1.html",
    "https://www.example.cn/%e8%ae%b2%e8%af%9d/1.html": "https://www.example.cn/%E8%AE%B2%E8%AF%9D/1.html",
    "HTTP://WWW.Example.CN/%E8%AE%B2%E8%AF%9D/1.html#top": "http://www.example.cn/%E8%AE%B2%E8%AF%9D/1.html",
    "http://例子.中国/a b?q=中": "http://xn--fsqu00a.xn--fiqs8s/a%20b?q=%E4%B8%AD",
    "http://a.example": "http://a.example/",
    # an IPv4 address spelled as a number (WHATWG URL; w3lib does it only from 2.6 on)
    "http://2130706433/a": "http://127.0.0.1/a",
    "http://user@0x7f.1:8080/a": "http://user@127.0.0.1:8080/a",
    "http://0177.0.0.1./a": "http://127.0.0.1/a",
}


@pytest.mark.parametrize("given_url", list(SPELLINGS))
def test_each_spelling_has_one_canonical_form_and_key(given_url: str) -> None:
    assert canonical_url(given_url) == SPELLINGS[given_url]
    assert url_hash(given_url) == url_hash(SPELLINGS[given_url])


@pytest.mark.parametrize(
    "bad",
    ["http://[::1", "ftp://a.example/", "javascript:alert(1)", "http://a.example/\r\nWARC-Type: x",
     "http://a.example/\ud800", "http://a.example:99999/", "http:///x", "http:x", "http://999.0.0.1/", "http://a.1/",
     "http://a.example/" + "x" * 9000],
)  # fmt: skip
def test_what_is_no_archivable_url_is_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(BadUrl):
        canonical_url(bad)


def test_display_shows_unicode_but_keeps_what_would_change_the_address() -> None:
    assert display_url("http://xn--fsqu00a.xn--fiqs8s/%E8%B7%AF?q=%E4%B8%AD") == "http://例子.中国/路?q=中"
    kept = "https://a.example/%2F%20%E2%80%AE%FF"  # an encoded slash, space, bidi override, bad UTF-8
    assert display_url(kept) == kept


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_canonical_is_ascii_stable_and_survives_display(path: str) -> None:
    try:
        url = canonical_url("https://例子.中国/" + path)
    except BadUrl:
        return
    assert url.isascii() and url.isprintable()
    assert canonical_url(url) == url
    assert canonical_url(display_url(url)) == url
