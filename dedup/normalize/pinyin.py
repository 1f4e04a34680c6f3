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
_ANNOTATION = re.compile(rf"[（(](?<=[{CJK}][（(]){_BODY}(?:[（(]{_BODY})*")


ANNOTATION = _ANNOTATION


def drop_pinyin_annotations(text: str) -> tuple[str, list[Removal]]:
    found = _ANNOTATION.findall(text) if _ANY_TONE.search(text) else []
    if not found:
        return text, []
    return _ANNOTATION.sub("", text), [Removal(reasons.PINYIN_ANNOTATION, f) for f in found]
