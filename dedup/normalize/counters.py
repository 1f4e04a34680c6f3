"""Page counters of paginated and doc-sharing pages: `第 6 页 共 6 页`, `第1页 / 共6页`, `3/6`,
`xxx.doc_第2页` — dropped wherever they stand, also glued to the end of a sentence."""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.lines import Line, cut, strip_line
from dedup.records import Removal

_N = r"\s*\d{1,4}\s*"
_COUNTER = re.compile(
    rf" ?(?:第{_N}页\s*[/／,，|]?\s*共{_N}页|共{_N}页\s*[/／,，|]?\s*第{_N}页|"
    rf"(?:(?<=\s)|^)\S{{1,200}}\.(?:docx?|pdf|pptx?|xlsx?|txt|wps)_第{_N}页|"
    rf"^\s*-{_N}-\s*$|^\s*第{_N}页\s*$|^\s*\d{{1,4}}\s*/\s*\d{{1,4}}\s*页?\s*$|"
    rf"\bpage{_N}of{_N}\b)",
    re.I,
)
_COUNTER_START = re.compile(r"\s*(?:-\s*\d|\d{1,4}\s*/)")
_PAGE_WORD = re.compile("page", re.I)
_SHOWN = re.compile(r"第\s*(\d{1,4})\s*页")
_TOTAL = re.compile(r"共\s*(\d{1,4})\s*页|页数\s*[:：]\s*(\d{1,4})")


def drop_page_counters(lines: list[Line]) -> tuple[list[Line], list[Removal]]:
    """Cut every page counter out of every line; a line left empty goes."""
    kept: list[Line] = []
    removed: list[Removal] = []
    for line in lines:
        matches = _COUNTER.finditer(line[0]) if _may_count(line[0]) else ()
        for match in reversed(list(matches)):
            removed.append(Removal(reasons.PAGE_COUNTER, line[1][match.start() : match.end()]))
            line = strip_line(cut(line, match.start(), match.end()))
        if line[0].strip():
            kept.append(line)
    return kept, removed


def _may_count(text: str) -> bool:
    return "页" in text or bool(_COUNTER_START.match(text) or _PAGE_WORD.search(text))


def page_numbers(text: str) -> tuple[int, int]:
    """(highest page number shown, highest total announced) among the counters in `text`."""
    shown = [int(n) for n in _SHOWN.findall(text)]
    total = [int(a or b) for a, b in _TOTAL.findall(text)]
    return max(shown, default=0), max(total, default=0)
