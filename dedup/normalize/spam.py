"""Injected SEO spam: a line that is only a list of keywords, some of them porn/gambling terms."""

from __future__ import annotations

import re
from functools import lru_cache

from dedup.normalize import reasons
from dedup.normalize.catalogue import SPAM_STRONG, SPAM_WEAK
from dedup.normalize.lines import Line, drop_where
from dedup.records import Removal

_ITEMS = re.compile(r"[,，、|｜/\s_]+")
_SENTENCE = re.compile(r"[。！？；;!]")
_STRONG = re.compile(SPAM_STRONG, re.I)
_WEAK = re.compile(SPAM_WEAK)
# A list of only weak words needs this many items: a heading such as 加强网站、视频、直播管理 has three.
_WEAK_LIST_ITEMS = 4


def is_spam_line(text: str) -> bool:
    """A keyword list (≥3 short items, no sentence punctuation) carrying spam vocabulary: a porn or
    gambling term, or video-site/download words in three items of four (of four or more)."""
    # most lines are sentences: ruled out here without the lru_cache's hashing and bookkeeping
    return len(text) <= 400 and not _SENTENCE.search(text) and _looks_like_spam(text)


# Asked again about the same lines by a second pass of the line rules, and about the menus and
# footers every page of a site repeats: remembered, 0.041 -> 0.025 CPU ms/doc of the ingest.
@lru_cache(maxsize=4096)
def _looks_like_spam(text: str) -> bool:
    if _SENTENCE.search(text):
        return False
    items = [item for item in _ITEMS.split(text) if item]
    if len(items) < 3 or max(map(len, items)) > 20:
        return False
    strong = len(_STRONG.findall(text))
    if strong >= 2 or (strong >= 1 and len(_WEAK.findall(text)) >= 2):
        return True
    return len(items) >= _WEAK_LIST_ITEMS and _weak_items(items) * 4 >= len(items) * 3


def _weak_items(items: list[str]) -> int:
    """Items carrying video-site or download vocabulary: a list made mostly of them is spam
    even without a porn or gambling term (王牌对王牌第一季综艺,免费在线观看网站,…)."""
    return sum(1 for item in items if _WEAK.search(item))


def drop_spam_lines(lines: list[Line]) -> tuple[list[Line], list[Removal]]:
    return drop_where(lines, [not is_spam_line(s) for s, _ in lines], reasons.SPAM_LINE)
