"""Chinese publication dates: 2019年3月16日, 发布时间：2018-08-02 10:21, 二〇一九年三月十六日.

htmldate reads `2023年5月6日` as 2023-01-01; these patterns read the whole date, and a date
next to a publication label (发布时间, 日期, 发表于…) beats any other date on the page.
"""

from __future__ import annotations

import re
from datetime import date

_NUMERALS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_YMD = (
    r"(?P<y>(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*(?:年|[-/.])\s*"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*(?:月|[-/.])\s*"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})(?:\s*[日号])?(?!\d)"
)
_DATE = re.compile(_YMD)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_HAS_FULLWIDTH_DIGIT = re.compile("[０-９]")
_LABELS = (
    "发布时间|发布日期|发表时间|发表日期|发表于|发布于|更新时间|更新日期|时间|日期|来源时间|"
    "發佈時間|發布時間|發佈日期|發表時間|發表於|時間|日期|上传时间|上傳時間|published"
)
_LABELLED = re.compile(rf"(?:{_LABELS})\s*[:：]?\s*(?:</?[a-z][^>]{{0,80}}>\s*)*{_YMD}", re.I)
_TIME_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|pubdate|publishdate|"""
    r"""datePublished|og:release_date|date)["'][^>]*content=["']([^"']{8,40})["']""",
    re.I,
)


def parse_date(text: str) -> date | None:
    """The first valid date written in `text` (Arabic or Chinese numerals), else None."""
    text = _ascii_digits(text)
    return next(filter(None, map(_to_date, _DATE.finditer(text))), None)


def find_published(html: str, *, head_chars: int = 200_000) -> date | None:
    """The publication date of a page: a labelled date, else a date meta tag, else None."""
    head = _ascii_digits(html[:head_chars])
    for match in _LABELLED.finditer(head):
        found = _to_date(match)
        if found:
            return found
    meta = _TIME_META.search(head)
    return parse_date(meta.group(1)) if meta else None


def _ascii_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS) if _HAS_FULLWIDTH_DIGIT.search(text) else text


def _to_date(match: re.Match[str]) -> date | None:
    year, month, day = (_number(match.group(k)) for k in ("y", "m", "d"))
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _number(text: str) -> int:
    """Arabic digits, digit-by-digit Chinese numerals (二〇一九), or tens (十六, 二十, 三十一)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int(text.translate(_NUMERALS))
    tens, _, units = text.partition("十")
    return int((tens or "一").translate(_NUMERALS)) * 10 + int((units or "0").translate(_NUMERALS))
