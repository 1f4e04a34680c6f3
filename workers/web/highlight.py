"""Cut a display text into plain and marked pieces for rendering (escaping is the template's job).

Inside an aligned or reused piece, the characters that differ from the other side are marked too:
`difference` compares the two sides of one alignment (difflib, on the display texts), and
`segments` cuts the marked pieces at those ranges, so a passage that differs by a few
characters shows exactly which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from dedup.align import Alignment
from dedup.provenance import Trace, TracedSpan, WitnessSpan

Ranges = tuple[tuple[int, int], ...]
MAX_DIFF_CHARS = 20_000  # longer passages are shown without a character diff (difflib is quadratic)


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    mark: str | None = None  # "reused", "first", "boilerplate" or "aligned"
    ref: int | None = None  # index of the span/alignment this piece belongs to
    parts: tuple[tuple[str, bool], ...] = ()  # (text, differs from the other side), covering `text`


@dataclass(frozen=True, slots=True)
class Marked:
    start: int
    end: int
    mark: str
    ref: int
    differs: Ranges = field(default=())  # text offsets inside [start, end) that differ


@dataclass(frozen=True, slots=True)
class Difference:
    """The characters of each side of one alignment that the other side does not have."""

    a: Ranges
    b: Ranges


def difference(a_text: str, b_text: str, al: Alignment) -> Difference:
    """Differing character ranges of a[a_start:a_end] and b[b_start:b_end] (text offsets)."""
    a, b = a_text[al.a_start : al.a_end], b_text[al.b_start : al.b_end]
    if a == b or max(len(a), len(b)) > MAX_DIFF_CHARS:
        return Difference((), ())
    a_out, b_out = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            a_out += [(al.a_start + i1, al.a_start + i2)] if i2 > i1 else []
            b_out += [(al.b_start + j1, al.b_start + j2)] if j2 > j1 else []
    return Difference(tuple(a_out), tuple(b_out))


def parts(text: str, start: int, differs: Ranges) -> tuple[tuple[str, bool], ...]:
    """`text` (which begins at offset `start`) cut into pieces that differ or agree."""
    out: list[tuple[str, bool]] = []
    at = 0
    for d_start, d_end in differs:
        lo, hi = max(d_start - start, at), min(d_end - start, len(text))
        if lo >= hi:
            continue
        if lo > at:
            out.append((text[at:lo], False))
        out.append((text[lo:hi], True))
        at = hi
    if at < len(text):
        out.append((text[at:], False))
    return tuple(out)


def segments(text: str, marked: Sequence[Marked]) -> list[Segment]:
    """Plain and marked pieces covering `text` in order; an overlap goes to the earlier-starting mark."""
    out: list[Segment] = []
    at = 0
    for m in sorted(marked, key=lambda m: (m.start, m.end)):
        start, end = max(m.start, at), min(m.end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        piece = text[start:end]
        out.append(Segment(piece, m.mark, m.ref, parts(piece, start, m.differs)))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


def trace_segments(text: str, traced: Trace, differs: Sequence[Ranges] = ()) -> list[Segment]:
    """Reused spans (ref = index into traced.spans, `differs[ref]` its differing characters),
    spans first seen here, site boilerplate."""
    marked = [
        Marked(s.start, s.end, "reused", i, differs[i] if i < len(differs) else ())
        for i, s in enumerate(traced.spans)
    ]
    marked += [Marked(s.start, s.end, "first", i) for i, s in enumerate(traced.first_here)]
    marked += [Marked(s, e, "boilerplate", i) for i, (s, e) in enumerate(traced.boilerplate)]
    return segments(text, marked)


def pair_segments(
    a_text: str, b_text: str, alignments: Sequence[Alignment]
) -> tuple[list[Segment], list[Segment]]:
    """Both sides of a side-by-side view; alignment i is marked `aligned` with ref i on each side,
    with the characters in which the two sides differ."""
    a: list[Marked] = []
    b: list[Marked] = []
    for i, al in enumerate(alignments):
        d = difference(a_text, b_text, al)
        a.append(Marked(al.a_start, al.a_end, "aligned", i, d.a))
        b.append(Marked(al.b_start, al.b_end, "aligned", i, d.b))
    return segments(a_text, a), segments(b_text, b)


def span_differences(
    text: str, spans: Sequence[TracedSpan], evidence: Sequence[tuple[str, Alignment]], sources: dict[str, str]
) -> list[Ranges]:
    """For each reused span, the characters of `text` inside it that differ from its source, from
    the span's alignments with that source (`evidence`: source id and alignment, doc on side a;
    `sources`: display text by id)."""
    out = []
    for span in spans:
        source_id = span.source.witness.doc_id
        other = sources.get(source_id)
        found: list[tuple[int, int]] = []
        for doc_id, al in evidence:
            if doc_id == source_id and other is not None and al.a_start < span.end and span.start < al.a_end:
                found += clipped(difference(text, other, al).a, span.start, span.end)
        out.append(tuple(sorted(found)))
    return out


def clipped(ranges: Ranges, start: int, end: int) -> list[tuple[int, int]]:
    """The parts of `ranges` inside [start, end)."""
    return [(max(lo, start), min(hi, end)) for lo, hi in ranges if lo < end and start < hi]


def span_json(span: TracedSpan) -> dict[str, object]:
    return {
        "start": span.start,
        "end": span.end,
        "similarity": round(span.similarity, 4),
        "source": witness_json(span.source),
        "witnesses": [witness_json(w) for w in span.witnesses],
    }


def witness_json(span: WitnessSpan) -> dict[str, object]:
    w = span.witness
    return {
        "id": w.doc_id,
        "url": w.url,
        "site": w.site,
        "published": w.published.isoformat() if w.published else None,
        "start": span.start,
        "end": span.end,
        "similarity": round(span.similarity, 4),
    }
