"""Link rules: canonical URLs (tracking parameters dropped), a page's links, and continuation
pages of a document."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urljoin, urlparse, urlsplit, urlunsplit

from lxml import etree
from parsel.csstranslator import HTMLTranslator
from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.response import get_base_url
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string, url_query_cleaner


def canonical(url: str, strip_params: Sequence[str]) -> str:
    """The URL without fragment and tracking parameters, so duplicates collapse to one request."""
    cleaned = url_query_cleaner(url, list(strip_params), remove=True, keep_fragments=False)
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def matches_any(url: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(p.search(url) for p in patterns)


def continuation_number(url: str, doc_url: str, pattern: re.Pattern[str]) -> int | None:
    """The page number if `url` is a later page of the document at `doc_url`, else None.

    A continuation page matches the site's page pattern (group 1 = page number) and extends the
    document's own address: `…/123.html` → `…/123_2.html` or `…/123.html?page=2`.
    """
    match = pattern.search(url)
    if not match:
        return None
    stem = _stem(doc_url)
    rest = url[len(stem) :] if url.startswith(stem) else ""
    if not rest or rest[0].isalnum():
        return None
    try:
        return int(match.group(1))
    except (IndexError, ValueError):
        return None


def page_count(text: str, pattern: re.Pattern[str]) -> int | None:
    """The document's announced page count ("第1页/共6页" → 6), if the text gives one."""
    match = pattern.search(text)
    if not match:
        return None
    try:
        count = int(match.group(1))
    except (IndexError, ValueError):
        return None
    return count if 0 < count < 10_000 else None


@lru_cache(maxsize=4096)  # every page of a document asks for the document's stem
def _stem(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", parts.path)
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


# What Scrapy's LinkExtractor follows by default (it checks the same schemes and extensions).
LINK_SCHEMES = frozenset({"http", "https", "file", "ftp"})
DENIED_EXTENSIONS = tuple("." + ext for ext in IGNORED_EXTENSIONS)
_HREFS = etree.XPath("descendant-or-self::a/@href | descendant-or-self::area/@href")


class LinkFinder:
    """A page's links, absolute and canonical, each once, in document order.

    The links Scrapy's `LinkExtractor(unique=True)` finds (a/area href, whitespace stripped,
    joined to the page's base URL, made safe in the page's encoding; http(s)/ftp/file only,
    binary extensions skipped) without its anchor texts and Link objects, which were most of
    a crawl's link-handling time; list pages repeat the same links, so each is worked out once.
    """

    def __init__(self, restrict_css: str | None, strip_params: Sequence[str]) -> None:
        self._restrict = etree.XPath(HTMLTranslator().css_to_xpath(restrict_css)) if restrict_css else None
        self._strip = tuple(strip_params)

    def urls(self, response: TextResponse) -> list[str]:
        root = response.selector.root
        nodes = self._restrict(root) if self._restrict is not None else [root]
        base, encoding = get_base_url(response), response.encoding
        found = (
            _absolute(_join_base(base, href), href, encoding, self._strip)
            for node in nodes
            if isinstance(node, etree._Element)
            for href in _HREFS(node)
        )
        return list(dict.fromkeys(url for url in found if url))


def pager_link(base: str, href: str, strip_params: tuple[str, ...]) -> str:
    """A pager's `href` as a canonical URL (each page of a document links the same pages)."""
    return _pager_link(_join_base(base, href), href.strip(), strip_params)


@lru_cache(maxsize=65536)
def _pager_link(base: str, href: str, strip_params: tuple[str, ...]) -> str:
    return canonical(urljoin(base, href), strip_params)


def _join_base(base: str, href: str) -> str:
    """The part of `base` a join with `href` depends on (RFC 3986: only the scheme and host for
    an absolute path or URL), so the same link on many pages is worked out once."""
    if _ORIGIN_ONLY.match(href):
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}/"
    return base


# An absolute path, or a URL with a host ("//" with no host joins like an empty link).
_ORIGIN_ONLY = re.compile(r"[ \t\n\r\f]*(/(?!/)|([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#\\])")


@lru_cache(maxsize=65536)
def _absolute(base: str, href: str, encoding: str, strip_params: tuple[str, ...]) -> str | None:
    try:
        url = urljoin(base, strip_html5_whitespace(href))
        url = safe_url_string(url, encoding=encoding)
    except ValueError:
        return None  # a bogus link, skipped as LinkExtractor skips it
    if url.split("://", 1)[0] not in LINK_SCHEMES:
        return None
    if urlparse(url).path.lower().endswith(DENIED_EXTENSIONS):
        return None
    return canonical(url, strip_params)


_TEXTS = etree.XPath("descendant-or-self::text()")
_A_HREFS = etree.XPath("descendant-or-self::a/@href")


class PagerArea:
    """Where a page keeps its pager: the nodes a CSS hint selects, or the whole page."""

    def __init__(self, css: str | None) -> None:
        self._xpath = etree.XPath(HTMLTranslator().css_to_xpath(css)) if css else None

    def nodes(self, response: TextResponse) -> list[etree._Element]:
        root = response.selector.root
        found = self._xpath(root) if self._xpath is not None else [root]
        return [node for node in found if isinstance(node, etree._Element)]


def texts(nodes: Sequence[etree._Element]) -> str:
    """All text under `nodes`, joined by spaces (what `selector.css("::text")` gives)."""
    return " ".join(str(text) for node in nodes for text in _TEXTS(node))


def hrefs(nodes: Sequence[etree._Element]) -> list[str]:
    """Every `<a href>` under `nodes`, as written (`selector.css("a::attr(href)")`)."""
    return [str(href) for node in nodes for href in _A_HREFS(node)]
