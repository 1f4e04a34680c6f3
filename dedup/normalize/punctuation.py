"""Spurious commas inserted before other punctuation: `全国,、全省`, `精神,,全面`, `主持,。`."""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.records import Removal

_SPURIOUS = re.compile(r"[,，](?=[ \u3000]?[,，、。；;：:！!？?])")


SPURIOUS_COMMA = _SPURIOUS


def drop_spurious_commas(text: str) -> tuple[str, list[Removal]]:
    found = _SPURIOUS.findall(text)
    if not found:
        return text, []
    return _SPURIOUS.sub("", text), [Removal(reasons.SPURIOUS_COMMA, f) for f in found]
