"""Tag clouds: a trailing run of one-word lines (教育 / 工作 / 全旗), or one line of such words."""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.config import NormConfig
from dedup.normalize.lines import Line
from dedup.records import Removal

_WORD = re.compile(r"^[^\W\d_]+$")
_SPLIT = re.compile(r"[\s,，、|｜/·]+")
_TOKEN = re.compile(r"[^\s,，、|｜/·]+")  # what _SPLIT leaves


def is_tag(text: str, config: NormConfig) -> bool:
    """One short word: letters only, no digits, no punctuation."""
    stripped = text.strip()
    return 0 < len(stripped) <= config.tag_cloud_max_chars and bool(_WORD.match(stripped))


def is_tag_line(text: str, config: NormConfig) -> bool:
    """A single line that lists at least four tags and nothing else."""
    # A paragraph's first word is no tag: no split() of the whole (long) line for it.
    first = _TOKEN.search(text)
    if first is None or not is_tag(first.group(), config):
        return False
    words = [w for w in _SPLIT.split(text.strip()) if w]
    return len(words) >= 4 and all(is_tag(w, config) for w in words)


def drop_tag_cloud(lines: list[Line], config: NormConfig) -> tuple[list[Line], list[Removal]]:
    """Drop the maximal trailing run of tags (or trailing tag lines) when it is long enough."""
    start = len(lines)
    while start and is_tag(lines[start - 1][0], config):
        start -= 1
    if len(lines) - start < config.tag_cloud_min_lines:
        start = len(lines)
        while start and is_tag_line(lines[start - 1][0], config):
            start -= 1
    if start == len(lines) or start == 0:
        return lines, []
    return lines[:start], [Removal(reasons.TAG_CLOUD, o) for _, o in lines[start:]]
