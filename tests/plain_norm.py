"""A minimal stand-in for the normalizer in alignment tests: display text kept as is.

The key keeps letters and CJK characters, folds digits to 0 and drops spaces and punctuation,
like the real match key does; `key_offsets` points back into the display text.
"""

from __future__ import annotations

import unicodedata

from dedup.records import NormalizedText


def plain_norm(text: str, source_id: str = "doc") -> NormalizedText:
    key: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isdigit():
            key.append("0")
        elif unicodedata.category(ch)[0] in "LN":
            key.append(ch)
        else:
            continue
        offsets.append(i)
    return NormalizedText(source_id, text, "".join(key), tuple(offsets), text)
