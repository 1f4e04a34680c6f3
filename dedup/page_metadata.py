"""Title, author, site name and publication date read from a page's HTML with a few regexes.

trafilatura's own metadata pass (htmldate included) costs as much as its text extraction and
misreads Chinese dates, so the text comes from trafilatura and the metadata from here.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from dedup.dates import DateEvidence, choose, find_dates

_HEAD_CHARS = 100_000
_META = re.compile(r"<meta\s[^>]{0,2000}>", re.I)
_ATTR = re.compile(r"""([a-zA-Z][\w:.-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_TITLE = re.compile(r"<title[^>]{0,200}>(.{0,2000}?)</title\s*>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]{0,500}>(.{0,3000}?)</h1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"\s+")
_TITLE_KEYS = ("og:title", "twitter:title", "title")
_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "byl")
_SITE_KEYS = ("og:site_name", "application-name", "site_name")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None
    author: str | None
    site: str | None
    published: date | None
    dates: tuple[DateEvidence, ...] = ()  # every date the page shows, strongest evidence first


def page_metadata(html: str, url: str = "") -> PageMetadata:
    head = html[:_HEAD_CHARS]
    metas = meta_tags(head)
    title = _first(metas, _TITLE_KEYS) or _element_text(_H1, head) or _element_text(_TITLE, head)
    site = _first(metas, _SITE_KEYS) or urlsplit(url).hostname or None
    dates = find_dates(html, metas)
    return PageMetadata(title, _first(metas, _AUTHOR_KEYS), site, choose(dates).day, dates)


def meta_tags(html: str) -> dict[str, str]:
    """`<meta name|property|itemprop=K content=V>` as {k.lower(): V}, the first of each key."""
    found: dict[str, str] = {}
    for tag in _META.findall(html):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(tag)}
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = _clean(attrs.get("content", ""))
        if key and content:
            found.setdefault(key.lower(), content)
    return found


def _first(metas: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((metas[k] for k in keys if metas.get(k)), None)


def _element_text(pattern: re.Pattern[str], html: str) -> str | None:
    match = pattern.search(html)
    return _clean(_TAG.sub(" ", match.group(1))) or None if match else None


def _clean(text: str) -> str:
    return _SPACE.sub(" ", html_entities.unescape(text)).strip()
