"""Pinyin ruby garbles: `當(dāng)前`, `會(huì)議`: a toned syllable in brackets after a CJK char.

Lossy decoding garbles some further: the opening bracket (with the character's lead byte) comes
out as `?`, and a GBK/Big5 trail byte in the ASCII range as a stray letter (`区域？qū)W校`).
"""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.catalogue import PINYIN_SYLLABLE, TONED_VOWELS
from dedup.normalize.script import CJK
from dedup.records import Removal

_ANY_TONE = re.compile(f"[{TONED_VOWELS}]")
_BODY = PINYIN_SYLLABLE
# The bracket comes first so the regex engine scans for it cheaply; the lookbehind then checks
# the character before it. A run of annotations goes at once, so a second pass finds nothing new.
_BRACKETED = rf"[（(](?<=[{CJK}][（(]){_BODY}"
# `?` for the lost bracket, and a stray ASCII letter glued to the next character: a trail byte.
_LOST_BRACKET = rf"[?？](?<=[{CJK}][?？]){_BODY}(?:[A-Za-z](?=[{CJK}]))?"
_ANNOTATION = re.compile(rf"((?:{_BRACKETED}|{_LOST_BRACKET})(?:[（(]{_BODY})*)")


ANNOTATION = _ANNOTATION
# Every annotation has a toned vowel: text without one has none (found by a faster scan).
HINT = _ANY_TONE


def drop_pinyin_annotations(text: str) -> tuple[str, list[Removal]]:
    if not _ANY_TONE.search(text):
        return text, []
    # One pass: split() with the pattern's group alternates kept text and annotations.
    parts = _ANNOTATION.split(text)
    return "".join(parts[::2]), [Removal(reasons.PINYIN_ANNOTATION, a) for a in parts[1::2]]
