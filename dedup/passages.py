"""Passages: the display text cut into sentences and clauses, with offsets into the display text.

A piece ends after 。！？； (or their ASCII twins, plus any closing quotes) or at a line break.
Within a line, pieces shorter than `min_chars` merge with the next piece (a short last piece
with the previous one), so a passage is a unit worth tracing on its own; a whole line shorter
than `min_chars` (a heading) stays a passage. Surrounding whitespace is never part of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dedup.errors import ConfigError

_PIECE = re.compile(r"[^\n。！？；!?;]+(?:[。！？；!?;]+[」』”’）)]*)?|[。！？；!?;]+")
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True, slots=True)
class Passage:
    """`display[start:end]` is the passage; `index` counts passages from 0."""

    index: int
    start: int
    end: int


def split_passages(display: str, min_chars: int = 15) -> tuple[Passage, ...]:
    """Cut `display` into passages of at least `min_chars` chars (short lines stay whole)."""
    if min_chars < 1:
        raise ConfigError(f"min_chars must be >= 1, got {min_chars}")
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(display):
        spans.extend(_merged(list(_pieces(display, *line.span())), min_chars))
    return tuple(Passage(i, s, e) for i, (s, e) in enumerate(spans))


def _merged(pieces: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged and merged[-1][1] - merged[-1][0] < min_chars:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < min_chars:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return merged


def _pieces(display: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence/clause pieces of one line, whitespace trimmed; blank pieces skipped."""
    for match in _PIECE.finditer(display, start, end):
        left, right = match.span()
        while left < right and display[left].isspace():
            left += 1
        while right > left and display[right - 1].isspace():
            right -= 1
        if left < right:
            yield left, right
