"""Traditional → simplified with OpenCC, character for character so offsets survive."""

from __future__ import annotations

from functools import lru_cache

import opencc

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _char(c: str) -> str:
    converted = _converter().convert(c)
    return converted if len(converted) == 1 else c


def to_simplified(text: str) -> str:
    """OpenCC t2s of `text`, guaranteed the same length (lines that change length go per char)."""
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    return "\n".join(map(_line, text.split("\n")))


def _line(line: str) -> str:
    converted = _converter().convert(line)
    return converted if len(converted) == len(line) else "".join(map(_char, line))
