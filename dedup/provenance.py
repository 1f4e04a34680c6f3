"""Provenance: for each reused region of a document, its earliest source and the other witnesses.

Alignments are facts about pairs of documents; who came first depends on every witness known so
far, so `trace` is recomputed from the stored alignments whenever asked.

Rules:
- Order: a witness is earlier than another by publication date, then capture time; an unknown
  publication date falls back to the capture date, and a witness with neither sorts last. Ties
  go to the smaller doc id (`Witness.rank`, a total order), the doc itself included.
- The doc's display text is cut at every alignment edge. Each piece covered by some witness gets
  the earliest covering witness as its source, if that witness is strictly earlier than the
  doc. Otherwise the doc had the text first: the piece goes to `Trace.first_here`, with the doc
  itself as source and the later copies as witnesses. Only `spans` count as reuse.
- Site boilerplate: a region covered only by pages of the doc's own site, by at least
  `min_pages` of them, and no longer than `max_chars` (a footer, a standard disclaimer) is not
  reuse; it is reported in `Trace.boilerplate`. A long region is a template the site reposts.
- Adjacent pieces with the same source merge into one span; its source offsets are projected
  linearly through the source's alignment.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dedup.align import Alignment
from dedup.errors import ConfigError

PROVENANCE_VERSION = "prov-1"
_NEVER = (date.max, datetime.max)


@dataclass(frozen=True, slots=True)
class Witness:
    """A document as far as provenance cares: who, where, and when."""

    doc_id: str
    url: str
    site: str
    published: date | None = None
    fetched_at: datetime | None = None
    published_from: str = ""  # the date's evidence (dedup.dates.EVIDENCE), shown beside it

    @property
    def order(self) -> tuple[date, datetime]:
        """Sort key: publication date (else capture date), then capture time; unknown is last."""
        fetched = _naive_utc(self.fetched_at) if self.fetched_at else datetime.max
        day = self.published or (fetched.date() if self.fetched_at else date.max)
        return day, fetched

    @property
    def rank(self) -> tuple[tuple[date, datetime], str]:
        """The total order of witnesses: `order`, then doc id, so that of two equally early
        witnesses the same one is the source whichever was ingested first."""
        return self.order, self.doc_id


def _naive_utc(moment: datetime) -> datetime:
    """Comparable capture times: aware ones converted to UTC; naive ones taken as UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True, slots=True)
class BoilerplateRule:
    min_pages: int = 3
    max_chars: int = 300

    def __post_init__(self) -> None:
        if self.min_pages < 1 or self.max_chars < 0:
            raise ConfigError("min_pages must be >= 1 and max_chars >= 0")


DEFAULT_BOILERPLATE = BoilerplateRule()


@dataclass(frozen=True, slots=True)
class WitnessSpan:
    """`witness`'s display text [start, end) holds the passage, at this alignment similarity."""

    witness: Witness
    start: int
    end: int
    similarity: float


@dataclass(frozen=True, slots=True)
class TracedSpan:
    """The doc's display text [start, end), its source, and every other witness of it."""

    start: int
    end: int
    similarity: float
    source: WitnessSpan
    witnesses: tuple[WitnessSpan, ...]


@dataclass(frozen=True, slots=True)
class Trace:
    """Reused spans (source earlier than the doc), spans the doc had first, and the rest."""

    doc: Witness
    length: int
    spans: tuple[TracedSpan, ...]
    first_here: tuple[TracedSpan, ...]
    original: tuple[tuple[int, int], ...]
    boilerplate: tuple[tuple[int, int], ...]
    version: str = PROVENANCE_VERSION

    @property
    def reused_chars(self) -> int:
        return sum(span.end - span.start for span in self.spans)

    @property
    def reuse_ratio(self) -> float:
        return self.reused_chars / self.length if self.length else 0.0

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct source doc ids in order of first use."""
        return tuple(dict.fromkeys(span.source.witness.doc_id for span in self.spans))


Evidence = tuple[Witness, Alignment]


def trace(
    doc: Witness,
    length: int,
    alignments: Sequence[Evidence],
    boilerplate: BoilerplateRule = DEFAULT_BOILERPLATE,
) -> Trace:
    """Trace `doc` (display text of `length` chars); alignments have the doc on side `a`."""
    evidence = [(w, al) for w, al in alignments if w.doc_id != doc.doc_id and _valid(al, length)]
    orders = {w.doc_id: w.rank for w, _ in evidence}  # computed once per witness
    evidence.sort(key=lambda e: (orders[e[0].doc_id], e[1].a_start))
    doc_rank = doc.rank
    before_doc = [orders[w.doc_id] < doc_rank for w, _ in evidence]
    plate = _boilerplate(doc, evidence, boilerplate)
    reused: list[Claim] = []
    first: list[Claim] = []
    for start, end, earliest in _earliest(evidence):
        if not _inside(start, end, plate):
            if before_doc[earliest]:
                _claim(reused, start, end, evidence[earliest][0].doc_id)
            else:
                _claim(first, start, end, doc.doc_id)
    spans = [_span(c, over, evidence, None) for c, over in _overlapping(reused, evidence)]
    first_here = [_span(c, over, evidence, doc) for c, over in _overlapping(first, evidence)]
    original = _complement([(s.start, s.end) for s in spans], length)
    return Trace(doc, length, tuple(spans), tuple(first_here), original, tuple(plate))


def _valid(al: Alignment, length: int) -> bool:
    return 0 <= al.a_start < al.a_end <= length


Piece = tuple[int, int, tuple[int, ...]]


@dataclass(slots=True)
class Claim:
    """Work in progress of `trace`: touching pieces with one source."""

    start: int
    end: int
    source_id: str


def _earliest(evidence: Sequence[Evidence]) -> Iterator[tuple[int, int, int]]:
    """The doc cut at every alignment edge: each covered piece with the index of the earliest
    evidence covering it (`evidence` is sorted earliest first, so the smallest active index)."""
    starts = [al.a_start for _, al in evidence]
    ends = [al.a_end for _, al in evidence]
    by_start = sorted(range(len(evidence)), key=starts.__getitem__)
    active: list[int] = []  # a heap of evidence indexes; ended ones leave when on top
    k = 0
    for start, end in itertools.pairwise(sorted({*starts, *ends})):
        while k < len(by_start) and starts[by_start[k]] <= start:
            heapq.heappush(active, by_start[k])
            k += 1
        while active and ends[active[0]] <= start:
            heapq.heappop(active)
        if active:
            yield start, end, active[0]


def _pieces(evidence: Sequence[Evidence]) -> list[Piece]:
    """The doc cut at every alignment edge, each piece with the indexes of all the evidence
    covering it (only the boilerplate rule needs them all)."""
    starts = [al.a_start for _, al in evidence]
    ends = [al.a_end for _, al in evidence]
    by_start = sorted(range(len(evidence)), key=starts.__getitem__)
    pieces: list[Piece] = []
    active: list[int] = []
    k = 0
    for start, end in itertools.pairwise(sorted({*starts, *ends})):
        while k < len(by_start) and starts[by_start[k]] <= start:
            active.append(by_start[k])
            k += 1
        active = [e for e in active if ends[e] > start]
        pieces.append((start, end, tuple(active)))  # a copy: `active` changes on the next piece
    return pieces


def _boilerplate(
    doc: Witness, evidence: Sequence[Evidence], rule: BoilerplateRule
) -> list[tuple[int, int]]:
    """Regions covered only by pages of the doc's own site, by enough of them, and short."""
    if len({w.doc_id for w, _ in evidence if w.site == doc.site}) < rule.min_pages:
        return []
    own = [(w, al) for w, al in evidence if w.site == doc.site]
    elsewhere = _union((al.a_start, al.a_end) for w, al in evidence if w.site != doc.site)
    flagged = [
        (start, end)
        for start, end, covering in _pieces(own)
        if len({own[k][0].doc_id for k in covering}) >= rule.min_pages
        and not _overlaps(start, end, elsewhere)
    ]
    return [r for r in _union(flagged) if r[1] - r[0] <= rule.max_chars]


def _overlaps(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    at = bisect.bisect_right(regions, (start, end)) - 1
    return any(s < end and start < e for s, e in regions[max(at, 0) : at + 2])


def _inside(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in regions)


def _claim(claims: list[Claim], start: int, end: int, source_id: str) -> None:
    """Extend the last claim if it touches this piece and has the same source, else add one."""
    if claims and claims[-1].end == start and claims[-1].source_id == source_id:
        claims[-1].end = end
    else:
        claims.append(Claim(start, end, source_id))


def _overlapping(
    claims: list[Claim], evidence: Sequence[Evidence]
) -> Iterator[tuple[Claim, list[int]]]:
    """Each claim (in order, not overlapping) with the evidence overlapping it, earliest first."""
    by_start = sorted(range(len(evidence)), key=lambda k: evidence[k][1].a_start)
    active: list[int] = []
    k = 0
    for claim in claims:
        while k < len(by_start) and evidence[by_start[k]][1].a_start < claim.end:
            active.append(by_start[k])
            k += 1
        active = [e for e in active if evidence[e][1].a_end > claim.start]
        yield claim, sorted(active)


def _span(
    claim: Claim, overlapping: list[int], evidence: Sequence[Evidence], doc: Witness | None
) -> TracedSpan:
    """A span with its source (the doc itself when `doc` is given) and the other witnesses."""
    start, end = claim.start, claim.end
    found: dict[str, list[Any]] = {}  # doc id -> [witness, start, end, similarity]
    for k in overlapping:
        witness, al = evidence[k]
        b_start, b_end = _project(al, max(start, al.a_start), min(end, al.a_end))
        known = found.get(witness.doc_id)
        if known is None:
            found[witness.doc_id] = [witness, b_start, b_end, al.similarity]
            continue
        # Several alignments with one witness: the range over all of them, the lowest similarity.
        if b_start < known[1]:
            known[1] = b_start
        if b_end > known[2]:
            known[2] = b_end
        if al.similarity < known[3]:
            known[3] = al.similarity
    spans = {doc_id: WitnessSpan(*row) for doc_id, row in found.items()}
    if doc is not None:
        return TracedSpan(start, end, 1.0, WitnessSpan(doc, start, end, 1.0), tuple(spans.values()))
    source = spans.pop(claim.source_id)
    return TracedSpan(start, end, source.similarity, source, tuple(spans.values()))


def _project(al: Alignment, start: int, end: int) -> tuple[int, int]:
    """The witness's offsets that correspond to doc[start:end] (linear within the alignment)."""
    scale = (al.b_end - al.b_start) / (al.a_end - al.a_start)
    b_start = al.b_start + round((start - al.a_start) * scale)
    b_end = al.b_start + round((end - al.a_start) * scale)
    return b_start, max(b_end, b_start + 1)


def _union(regions: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(regions):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _complement(regions: list[tuple[int, int]], length: int) -> tuple[tuple[int, int], ...]:
    gaps: list[tuple[int, int]] = []
    pos = 0
    for start, end in _union(regions):
        if start > pos:
            gaps.append((pos, start))
        pos = max(pos, end)
    if pos < length:
        gaps.append((pos, length))
    return tuple(gaps)
