"""Spurious commas inserted before other punctuation: `全国,、全省`, `精神,,全面`, `主持,。`."""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.records import Removal

_SPURIOUS = re.compile(r"[,，](?=[ \u3000]?[,，、。；;：:！!？?])")


SPURIOUS_COMMA = _SPURIOUS


# The same as a group: split() alternates kept text and commas, one scan instead of findall and sub.
_SPLIT = re.compile(f"({_SPURIOUS.pattern})")


def drop_spurious_commas(text: str) -> tuple[str, list[Removal]]:
    parts = _SPLIT.split(text)
    if len(parts) == 1:
        return text, []
    return "".join(parts[::2]), [Removal(reasons.SPURIOUS_COMMA, f) for f in parts[1::2]]
