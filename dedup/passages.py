"""Passages: the display text cut into sentences and clauses, with offsets into the display text.

A piece ends after 。！？； (or their ASCII twins, plus any closing quotes) or at a line break.
Pieces shorter than `min_chars` are merged with the following ones, so a passage is a unit
worth tracing on its own; surrounding whitespace is never part of a passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dedup.errors import ConfigError

_PIECE = re.compile(r"[^\n。！？；!?;]+(?:[。！？；!?;]+[」』”’）)]*)?|[。！？；!?;]+")


@dataclass(frozen=True, slots=True)
class Passage:
    """`display[start:end]` is the passage; `index` counts passages from 0."""

    index: int
    start: int
    end: int


def split_passages(display: str, min_chars: int = 15) -> tuple[Passage, ...]:
    """Cut `display` into passages of at least `min_chars` chars (a last one may be shorter)."""
    if min_chars < 1:
        raise ConfigError(f"min_chars must be >= 1, got {min_chars}")
    merged: list[tuple[int, int]] = []
    for start, end in _pieces(display):
        if merged and merged[-1][1] - merged[-1][0] < min_chars:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < min_chars:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return tuple(Passage(i, s, e) for i, (s, e) in enumerate(merged))


def _pieces(display: str) -> Iterator[tuple[int, int]]:
    """Sentence/clause pieces with surrounding whitespace trimmed; blank pieces skipped."""
    for match in _PIECE.finditer(display):
        start, end = match.span()
        while start < end and display[start].isspace():
            start += 1
        while end > start and display[end - 1].isspace():
            end -= 1
        if start < end:
            yield start, end
