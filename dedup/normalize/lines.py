"""Lines of a document under normalization: the simplified text and the original, in step.

Line rules decide on the simplified text (the patterns are written in simplified characters)
and cut the same spans out of both, so `original` stays the display text before t2s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import compress

from dedup.records import Removal

Line = tuple[str, str]
"""(simplified, original) of one line; both have the same length."""

# A line ending in one of these ends a sentence or a clause; anything else was cut mid-sentence.
TERMINAL = "。！？!?…”’」』）)》】：:；;.．"


def split_lines(simplified: str, original: str) -> list[Line]:
    """The non-blank lines, stripped."""
    if simplified == original:  # no traditional character (most texts): strip each line once
        return [(text, text) for text in (line.strip() for line in original.split("\n")) if text]
    pairs = zip(simplified.split("\n"), original.split("\n"), strict=True)
    return [strip_line(line) for line in pairs if line[0].strip()]


def join_lines(lines: Iterable[Line]) -> tuple[str, str]:
    kept = [line for line in lines if line[0].strip()]
    return "\n".join(s for s, _ in kept), "\n".join(o for _, o in kept)


def cut(line: Line, start: int, end: int) -> Line:
    """`line` without the characters [start, end) in both versions."""
    simplified, original = line
    return simplified[:start] + simplified[end:], original[:start] + original[end:]


def strip_line(line: Line) -> Line:
    simplified, original = line
    left = len(simplified) - len(simplified.lstrip())
    right = len(simplified.rstrip())
    return simplified[left:right], original[left:right]


def drop_where(lines: list[Line], keep: Iterable[bool], reason: str) -> tuple[list[Line], list[Removal]]:
    """Split `lines` by the `keep` flags; the dropped ones become removals with `reason`."""
    flags = keep if isinstance(keep, list) else list(keep)
    # Most rules keep every line of most documents: all() runs in C, no new lists for them.
    if all(flags):
        return lines, []
    kept = list(compress(lines, flags))
    removed = [Removal(reason, line[1]) for line, flag in zip(lines, flags, strict=True) if not flag]
    return kept, removed


def cut_matches(lines: list[Line], pattern: re.Pattern[str], reason: str) -> tuple[list[Line], list[Removal]]:
    """Cut every match of `pattern` (found in the simplified text) out of both versions."""
    out: list[Line] = []
    removed: list[Removal] = []
    for line in lines:
        for match in reversed(list(pattern.finditer(line[0]))):
            removed.append(Removal(reason, line[1][match.start() : match.end()]))
            line = cut(line, match.start(), match.end())
        out.append(line)
    return out, removed
