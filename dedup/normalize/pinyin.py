"""Pinyin ruby garbles: `當(dāng)前`, `會(huì)議`: a toned syllable in brackets after a CJK char."""

from __future__ import annotations

import re

from dedup.normalize import reasons
from dedup.normalize.script import CJK
from dedup.records import Removal

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_ANY_TONE = re.compile(f"[{_TONED}]")
_BODY = rf"\s?[a-zü]{{0,5}}[{_TONED}][a-zü{_TONED}]{{0,4}}\s?[)）]"
# The bracket comes first so the regex engine scans for it cheaply; the lookbehind then checks
# the character before it. A run of annotations goes at once, so a second pass finds nothing new.
_ANNOTATION = re.compile(rf"([（(](?<=[{CJK}][（(]){_BODY}(?:[（(]{_BODY})*)")


ANNOTATION = _ANNOTATION


def drop_pinyin_annotations(text: str) -> tuple[str, list[Removal]]:
    if not _ANY_TONE.search(text):
        return text, []
    # One pass: split() with the pattern's group alternates kept text and annotations.
    parts = _ANNOTATION.split(text)
    return "".join(parts[::2]), [Removal(reasons.PINYIN_ANNOTATION, a) for a in parts[1::2]]
