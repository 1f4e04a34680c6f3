"""Doc-sharing page chunks: the document cut into numbered pages (`1、…不忘立` / `2、德树人…`).

A run of lines numbered 1, 2, 3… in order is a chunk sequence — not an ordinary enumerated list —
when its lines are page-sized and most of them end mid-sentence. The numbers go and a chunk
that was cut mid-sentence is glued back onto the one before it.
"""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.config import NormConfig
from dedup.normalize.lines import TERMINAL, Line, cut
from dedup.records import Removal

_MARKER = re.compile(r"^\s*(\d{1,3})\s*[、.．]\s*")
_SINGLE_CHUNK_PAGES = 2


def ends_mid_sentence(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] not in TERMINAL


def glue(before: str, after: str) -> str:
    """The separator between two pieces of one text: none when `before` stopped mid-sentence."""
    return "" if ends_mid_sentence(before) and after[:1].strip() else "\n"


def join_page_chunks(lines: list[Line], config: NormConfig) -> tuple[list[Line], list[Removal]]:
    run = _chunk_run(lines)
    if not run or not _is_chunk_sequence([lines[i][0] for i in run], config):
        return lines, []
    removed: list[Removal] = []
    out: list[Line] = []
    chunk_starts = set(run)
    for index, line in enumerate(lines):
        if index in chunk_starts:
            match = _MARKER.match(line[0])
            if match:
                removed.append(Removal(reasons.PAGE_CHUNK_MARKER, line[1][: match.end()]))
                line = cut(line, 0, match.end())
            if index != run[0] and out and glue(out[-1][0], line[0]) == "":
                out[-1] = (out[-1][0] + line[0], out[-1][1] + line[1])
                continue
        out.append(line)
    return out, removed


def _chunk_run(lines: list[Line]) -> list[int]:
    """Indices of the lines numbered 1, 2, 3… in order from 1; one number may be missing at a
    time (its chunk was glued inside the line before it: `…批示、2、肯定`)."""
    run: list[int] = []
    last = 0
    for index, (simplified, _) in enumerate(lines):
        # a marker starts with a space or a digit (isdigit() takes in every \d): most lines don't
        first = simplified[:1]
        match = _MARKER.match(simplified) if first.isdigit() or first.isspace() else None
        number = int(match.group(1)) if match else 0
        if number == last + 1 or (run and number == last + 2):
            run.append(index)
            last = number
    return run


def _is_chunk_sequence(texts: list[str], config: NormConfig) -> bool:
    """Page-sized numbered lines, most cut mid-sentence; a document that fit in one chunk is
    one `1、` line of at least two pages' worth (no list has a lone first item that long)."""
    if len(texts) == 1:
        return len(texts[0]) >= _SINGLE_CHUNK_PAGES * config.chunk_min_mean_chars
    mean_length = sum(map(len, texts)) / len(texts)
    cut_mid_sentence = sum(map(ends_mid_sentence, texts[:-1]))
    return mean_length >= config.chunk_min_mean_chars and cut_mid_sentence * 2 >= len(texts) - 1
