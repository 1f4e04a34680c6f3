"""Link rules: canonical URLs (tracking parameters dropped) and continuation pages of a document."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import url_query_cleaner


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


def _stem(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", parts.path)
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))
