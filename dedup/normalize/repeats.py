"""Text shown twice: the title repeated as lines or glued to the start, a summary (本文简介) that
repeats the start of the content, and paragraphs that occur more than once."""

from __future__ import annotations

import re
from collections.abc import Callable

from dedup.normalize import reasons
from dedup.normalize.config import NormConfig
from dedup.normalize.key import key_text
from dedup.normalize.lines import Line, cut, drop_where, strip_line
from dedup.records import Removal

_SITE_SUFFIX = re.compile(r"\s*(?:[-_|｜—–]+|_{1,2})\s*[^-_|｜—–]{1,20}$")
_FILE_EXTENSION = re.compile(r"\.(?:docx?|pdf|pptx?|xlsx?|txt|wps)$", re.I)
# What clean_title can cut: a `- site` suffix needs a separator, an extension a dot.
_CLEANABLE = re.compile(r"[-_|｜—–.]|^\s|\s$")
_MIN_PARAGRAPH_KEY = 12
Keyer = Callable[[str], str]
_MAX_GRAMS = 32


def clean_title(title: str) -> str:
    """The document title without a trailing file extension or a `- site name` suffix."""
    title = title.strip()
    shortened = _SITE_SUFFIX.sub("", title)
    if len(key_text(shortened)) >= 4:
        title = shortened
    return _FILE_EXTENSION.sub("", title).strip()


def drop_repeated_title(
    lines: list[Line], title: str, raw_title: str = "", key: Keyer = key_text
) -> tuple[list[Line], list[Removal]]:
    """Drop lines that are the title (cleaned or as the page gave it); cut copies of the title
    glued to the start of the text."""
    title_keys = {key(t) for t in (title, raw_title)} - {""}
    if max(map(len, title_keys), default=0) < 4:
        return lines, []
    longest = max(map(len, (title, raw_title)))
    kept, removed = drop_where(
        lines,
        (not _is_title_line(s, title_keys, longest, key) for s, _ in lines),
        reasons.REPEATED_TITLE,
    )
    if kept:
        kept[0], glued = _cut_title_prefix(kept[0], title)
        removed.extend(glued)
    return kept, removed


def _is_title_line(text: str, title_keys: set[str], longest: int, key: Keyer) -> bool:
    """The title, maybe with a file extension or a `- site` suffix (short lines only)."""
    if len(text) > 2 * longest + 20:
        return False
    if key(text) in title_keys:
        return True
    # clean_title leaves a line without a separator, a dot or edge spaces as it is, and that one
    # was just checked: skipping it cut the title rule from 0.23 to 0.15 ms/doc of the ingest.
    return bool(_CLEANABLE.search(text)) and key(clean_title(text)) in title_keys


def _cut_title_prefix(line: Line, title: str) -> tuple[Line, list[Removal]]:
    removed: list[Removal] = []
    while line[0].startswith(title) and len(line[0]) > len(title):
        removed.append(Removal(reasons.REPEATED_TITLE, line[1][: len(title)]))
        line = strip_line(cut(line, 0, len(title)))
    return line, removed


def drop_repeated_paragraphs(lines: list[Line], key: Keyer = key_text) -> tuple[list[Line], list[Removal]]:
    """Keep the first copy of a paragraph that occurs more than once."""
    seen: set[str] = set()
    keep: list[bool] = []
    for simplified, _ in lines:
        line_key = key(simplified)
        keep.append(len(line_key) < _MIN_PARAGRAPH_KEY or line_key not in seen)
        seen.add(line_key)
    return drop_where(lines, keep, reasons.REPEATED_PARAGRAPH)


def drop_repeated_summary(
    lines: list[Line], config: NormConfig, key: Keyer = key_text
) -> tuple[list[Line], list[Removal]]:
    """Drop an early paragraph (a summary) whose text mostly reappears later in the document."""
    keys = [key(s) for s, _ in lines]
    keep = [True] * len(lines)
    # The later paragraphs are the tail of one joined text from `start` on: searching it from
    # there, instead of joining them again for each early paragraph, cut the rule from 0.07 to
    # 0.05 ms/doc of the ingest.
    text, start = "\x00".join(keys), 0
    for index in range(min(config.summary_window, len(lines))):
        start += len(keys[index]) + 1
        keep[index] = not _mostly_within(keys[index], text, start, config)
    return drop_where(lines, keep, reasons.REPEATED_SUMMARY)


def _mostly_within(key: str, text: str, start: int, config: NormConfig) -> bool:
    """Whether most of `key`'s n-grams occur in `text[start:]`."""
    n = config.summary_gram
    if len(key) < max(_MIN_PARAGRAPH_KEY, 2 * n):
        return False
    # Cheap rejection of ordinary paragraphs: two of three probes must occur; when the first two
    # both miss (most paragraphs), the third is not looked for.
    middle = key[(len(key) - n) // 2 :][:n]
    probed = (text.find(key[:n], start) >= 0) + (text.find(middle, start) >= 0)
    if probed == 0 or (probed == 1 and text.find(key[-n:], start) < 0):
        return False
    step = max(n // 2, (len(key) - n) // _MAX_GRAMS + 1)
    grams = [key[i : i + n] for i in range(0, len(key) - n + 1, step)]
    found = sum(text.find(gram, start) >= 0 for gram in grams)
    return found >= config.summary_coverage * len(grams)
