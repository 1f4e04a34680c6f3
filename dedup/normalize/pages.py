"""One document split across several pages of a doc-sharing site, joined back into one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from dedup.errors import Rejected
from dedup.normalize.chunks import glue
from dedup.reasons import RejectReason
from dedup.records import Extraction


def join_pages(extractions: Sequence[Extraction]) -> Extraction:
    """The page texts in order as one Extraction (metadata of the first page); a sentence cut at
    a page boundary is joined without a break."""
    if not extractions:
        raise Rejected(RejectReason.NO_PAGES, "join_pages got an empty sequence")
    texts = [e.text.strip() for e in extractions if e.text.strip()]
    joined = texts[0] if texts else ""
    for text in texts[1:]:
        joined += glue(joined, text) + text
    first = extractions[0]
    return dataclasses.replace(first, text=joined, extractor=_extractor(extractions))


def _extractor(extractions: Sequence[Extraction]) -> str:
    paths = dict.fromkeys(e.extractor for e in extractions)
    return "+".join(paths) if len(extractions) == 1 else f"pages({'+'.join(paths)})x{len(extractions)}"
