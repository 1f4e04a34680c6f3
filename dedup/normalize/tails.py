"""Related titles and tags after the last sentence: lines of titles (`…讲话范文` / `…讲话`), or a
run glued onto it (`…而努力奋斗！2019年…圆满结束教育工作全旗`).

A speech ends with a sentence mark. Short lines without punctuation after the sentence that
ends the text, or a long run without any punctuation glued after its last mark, are page
furniture (related links, tags) that extraction kept. A truncated preview is left alone: it may
stop in the middle of a sentence.
"""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.catalogue import SENTENCE_END, TRAILING_RUN
from dedup.normalize.lines import Line, cut
from dedup.records import Removal

_TAIL = re.compile(rf"{TRAILING_RUN}$")
_TAIL_WINDOW = 400  # a glued run is looked for in the last line's last characters only
_LINK_CHARS = 40
_PUNCTUATED = re.compile(r"[，。！？；：、,.!?;:]")
_MIN_LINKS = 2
_TITLE_CHARS = 10  # a related title is this long; two of them make the run (slogan lines are shorter)


def drop_trailing_links(lines: list[Line], truncated: bool) -> tuple[list[Line], list[Removal]]:
    if truncated or not lines:
        return lines, []
    start = _link_lines_start(lines)
    removed = [Removal(reasons.TRAILING_LINKS, original) for _, original in lines[start:]]
    lines = lines[:start]
    match = _TAIL.search(lines[-1][0], max(0, len(lines[-1][0]) - _TAIL_WINDOW))
    if match:
        last = lines[-1]
        removed.append(Removal(reasons.TRAILING_LINKS, last[1][match.start() :]))
        lines = [*lines[:-1], cut(last, match.start(), len(last[0]))]
    return lines, removed


def _link_lines_start(lines: list[Line]) -> int:
    """Where the trailing run of link lines starts (len(lines) when there is none): short lines
    without punctuation, two or more of them title-long, after a line that ends a sentence."""
    start = len(lines)
    while start > 1 and _is_link_line(lines[start - 1][0]):
        start -= 1
    ends_sentence = lines[start - 1][0].rstrip("”’」』）)").endswith(tuple(SENTENCE_END))
    titles = sum(len(text) >= _TITLE_CHARS for text, _ in lines[start:])
    return start if titles >= _MIN_LINKS and ends_sentence else len(lines)


def _is_link_line(text: str) -> bool:
    return len(text) <= _LINK_CHARS and not _PUNCTUATED.search(text)
