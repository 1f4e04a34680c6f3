"""Traditional → simplified with OpenCC, character for character so offsets survive."""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MAX_ROUNDS = 3
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Unified ideographs, extensions A-G and the compatibility blocks (some of those convert too).
_CJK_RANGES = (
    (0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00),
    (0x20000, 0x2A6E0), (0x2A700, 0x2EBF0), (0x2F800, 0x2FA20), (0x30000, 0x3134B),
)  # fmt: skip


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional() -> tuple[re.Pattern[str], frozenset[str]]:
    """The characters t2s changes, so text without any of them skips OpenCC altogether: the BMP
    ones as a regex class, the astral ones as a set (a regex class of them is a linear scan)."""
    chars = [chr(cp) for start, stop in _CJK_RANGES for cp in range(start, stop)]
    converted = _converter().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):
        converted = [_converter().convert(c) for c in chars]
    changed = [c for c, s in zip(chars, converted, strict=True) if c != s]
    bmp = "".join(c for c in changed if c <= "\uffff")
    return re.compile(f"[{bmp}]"), frozenset(c for c in changed if c > "\uffff")


def _has_traditional(text: str) -> bool:
    bmp, astral = _traditional()
    return bool(bmp.search(text)) or any(c in astral for c in _ASTRAL.findall(text))


@lru_cache(maxsize=65536)
def _char(c: str) -> str:
    converted = _converter().convert(c)
    return converted if len(converted) == 1 else c


def to_simplified(text: str) -> str:
    """OpenCC t2s of `text`, the same length (lines that change length go per char), repeated
    while it still changes something (薴 → 苧 → 苎), so simplified text stays as it is."""
    for _ in range(_MAX_ROUNDS):
        if not _has_traditional(text):
            break
        converted = _convert_once(text)
        if converted == text:
            break
        text = converted
    return text


def _convert_once(text: str) -> str:
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    return "\n".join(map(_line, text.split("\n")))


def _line(line: str) -> str:
    converted = _converter().convert(line)
    return converted if len(converted) == len(line) else "".join(map(_char, line))
