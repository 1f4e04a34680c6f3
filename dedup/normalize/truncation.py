"""Truncated previews: doc-sharing pages that show only the first pages of a document."""

from __future__ import annotations

import re

from dedup.normalize.catalogue import PREVIEW, WITHHELD
from dedup.normalize.counters import page_numbers

_WITHHELD = re.compile(WITHHELD)
_PREVIEW = re.compile(PREVIEW)
# Most texts have neither: one scan says so instead of two.
_EITHER = re.compile(f"{WITHHELD}|{PREVIEW}")


def looks_truncated(text: str) -> bool:
    """True when the page says the rest is withheld, or shows a preview marker and fewer
    pages than it announces."""
    if not _EITHER.search(text):
        return False
    if _WITHHELD.search(text):
        return True
    if not _PREVIEW.search(text):
        return False
    shown, total = page_numbers(text)
    return total > max(shown, 1)
