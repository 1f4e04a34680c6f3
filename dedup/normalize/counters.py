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
_PAGER_WORDS = ("上一页", "下一页", "首页", "尾页", "末页", "<", ">", "«", "»", "...", "…")
_PAGER_STARTS = frozenset("0123456789") | {w[0] for w in _PAGER_WORDS}
_PAGER_CHARS = 80
_PAGE_DIGITS = 3
_COUNTER_START = re.compile(r"\s*(?:-\s*\d|\d{1,4}\s*/)")
_COUNTER_START_LINE = re.compile(r"\n\s*(?:-\s*\d|\d{1,4}\s*/)")
_PAGE_WORD = re.compile("page", re.I)
# Every counter but `page N of N` and those at a line's start has a page number before 页 (`第 2 页`,
# `共6页`, `x.doc_第2页`): a line that only mentions a page (网页, 页面) skips _COUNTER, which has no
# first character to scan for (see _counters).
_PAGE_NUMBER = re.compile(rf"[第共]{_N}页")
_COUNTER_CHARS = re.compile("[ 第共pP]")
_SHOWN = re.compile(r"第\s*(\d{1,4})\s*页")
_TOTAL = re.compile(r"共\s*(\d{1,4})\s*页|页数\s*[:：]\s*(\d{1,4})")


def drop_page_counters(lines: list[Line]) -> tuple[list[Line], list[Removal]]:
    """Cut every page counter out of every line; a line left empty, or only page links, goes."""
    if not _may_count(_joined(lines)):  # most documents: no line may hold a counter
        return _drop_pagers([line for line in lines if line[0].strip()], [])
    kept: list[Line] = []
    removed: list[Removal] = []
    for line in lines:
        matches = _counters(line[0]) if _may_count(line[0]) else ()
        for match in reversed(list(matches)):
            removed.append(Removal(reasons.PAGE_COUNTER, line[1][match.start() : match.end()]))
            line = strip_line(cut(line, match.start(), match.end()))
        if line[0].strip():
            kept.append(line)
    return _drop_pagers(kept, removed)


def _counters(text: str) -> list[re.Match[str]]:
    """_COUNTER.finditer(text), tried only where a match can start. _COUNTER has no first character
    to scan for, so finditer tries it at every position: 0.057 ms a line on the bench corpus's
    lines that may count (560 characters on average, page chunks), 0.009 this way. Without `_第`
    (a file name's counter) a match starts at the text's start (the anchored counters), at the
    optional space before one, or at 第, 共 or p/P (page: re.I folds nothing else onto p); the
    leftmost match from a position is the first one these starts give, as finditer finds it."""
    if "_第" in text:
        return list(_COUNTER.finditer(text))
    found: list[re.Match[str]] = []
    start: int | None = 0
    while start is not None:
        match = _COUNTER.match(text, start)
        if match:
            found.append(match)
        after = _COUNTER_CHARS.search(text, match.end() if match else start + 1)
        start = after.start() if after else None
    return found


def _drop_pagers(lines: list[Line], removed: list[Removal]) -> tuple[list[Line], list[Removal]]:
    """Without the page links shown as text: a line `1 2 3 下一页`, or lines 1 / 2 / 3 in a row."""
    if not _PAGER_LINE.search(_joined(lines)):  # most documents: no line starts as page links do
        return lines, removed
    pagers = _vertical_pagers(lines)
    kept: list[Line] = []
    for index, line in enumerate(lines):
        if index in pagers or is_pager(line[0]):
            removed.append(Removal(reasons.PAGE_COUNTER, line[1]))
        else:
            kept.append(line)
    return kept, removed


def _joined(lines: list[Line]) -> str:
    """The lines' simplified texts, each after a line break: a regex that starts with `\n` finds
    a line start by the fast literal scan (a (?m)^ is tried at every position), and a match of
    one line is a match of this text, so no match here rules every line out at once."""
    return "".join("\n" + text for text, _ in lines)


def is_pager(text: str) -> bool:
    """Page links: two or more page numbers counting up by one, maybe with 上一页/下一页."""
    if len(text) > _PAGER_CHARS or not (text[:1].isdigit() or text.startswith(_PAGER_WORDS)):
        return False
    tokens = text.split()
    numbers = [int(t) for t in tokens if _is_page_number(t)]
    words_only = len(numbers) + sum(t in _PAGER_WORDS for t in tokens) == len(tokens)
    return words_only and _counts_up(numbers)


def _vertical_pagers(lines: list[Line]) -> set[int]:
    """Indices of runs of two or more lines that are each one page number, counting up by one."""
    found: set[int] = set()
    run: list[int] = []
    for index, (text, _) in enumerate([*lines, ("", "")]):
        number = int(text) if _is_page_number(text) else None
        if number is not None and (not run or int(lines[run[-1]][0]) + 1 == number):
            run.append(index)
            continue
        if len(run) >= 2:
            found.update(run)
        run = [index] if number is not None else []
    return found


def _is_page_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= _PAGE_DIGITS


def _counts_up(numbers: list[int]) -> bool:
    return len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


# A line is page links only if its first token is a page number or a pager word (split()
# splits where \s matches); over _joined text.
_PAGER_LINE = re.compile(r"\n(?:[0-9]{1,3}|" + "|".join(map(re.escape, _PAGER_WORDS)) + r")(?=\s|\Z)")


def _may_count(text: str) -> bool:
    """A page number before `页`, `page` or a counter's start (at the start of `text`, or of a
    line of _joined text)."""
    return (
        ("页" in text and bool(_PAGE_NUMBER.search(text)))
        or bool(_COUNTER_START.match(text) or _COUNTER_START_LINE.search(text))
        # no character but p/P matches p under re.I (checked over all code points): `in` is faster
        or (("p" in text or "P" in text) and bool(_PAGE_WORD.search(text)))
    )


def page_numbers(text: str) -> tuple[int, int]:
    """(highest page number shown, highest total announced) among the counters in `text`."""
    shown = [int(n) for n in _SHOWN.findall(text)]
    total = [int(a or b) for a, b in _TOTAL.findall(text)]
    return max(shown, default=0), max(total, default=0)
