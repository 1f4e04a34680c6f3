"""Cut a display text into plain and marked pieces for rendering (escaping is the template's job)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dedup.align import Alignment
from dedup.provenance import Trace, TracedSpan, WitnessSpan


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    mark: str | None = None  # "reused", "first", "boilerplate" or "aligned"
    ref: int | None = None  # index of the span/alignment this piece belongs to


@dataclass(frozen=True, slots=True)
class Marked:
    start: int
    end: int
    mark: str
    ref: int


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
        out.append(Segment(text[start:end], m.mark, m.ref))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


def trace_segments(text: str, traced: Trace) -> list[Segment]:
    """Reused spans (ref = index into traced.spans), spans first seen here, site boilerplate."""
    marked = [Marked(s.start, s.end, "reused", i) for i, s in enumerate(traced.spans)]
    marked += [Marked(s.start, s.end, "first", i) for i, s in enumerate(traced.first_here)]
    marked += [Marked(s, e, "boilerplate", i) for i, (s, e) in enumerate(traced.boilerplate)]
    return segments(text, marked)


def pair_segments(
    a_text: str, b_text: str, alignments: Sequence[Alignment]
) -> tuple[list[Segment], list[Segment]]:
    """Both sides of a side-by-side view; alignment i is marked `aligned` with ref i on each side."""
    a = [Marked(al.a_start, al.a_end, "aligned", i) for i, al in enumerate(alignments)]
    b = [Marked(al.b_start, al.b_end, "aligned", i) for i, al in enumerate(alignments)]
    return segments(a_text, a), segments(b_text, b)


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
        "published_from": w.published_from,
        "start": span.start,
        "end": span.end,
        "similarity": round(span.similarity, 4),
    }
