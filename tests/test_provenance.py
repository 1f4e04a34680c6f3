"""Provenance: earliest witness per reused region, spans the doc had first, site boilerplate."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.align import Alignment, align
from dedup.normalize import normalize_text
from dedup.provenance import BoilerplateRule, Witness, trace
from synthetic.corpus import generate


def _w(
    doc_id: str, published: date | None, site: str | None = None, fetched: datetime | None = None
) -> Witness:
    """A witness; by default each document on its own site (no boilerplate)."""
    host = site or f"{doc_id}.example"
    return Witness(doc_id, f"https://{host}/{doc_id}", host, published, fetched)


DOC = _w("doc", date(2021, 5, 1), site="a.example")


def test_the_earliest_witness_is_the_source_and_the_others_are_listed() -> None:
    early, middle = _w("early", date(2019, 1, 1)), _w("mid", date(2020, 1, 1))
    late = _w("late", date(2023, 1, 1))
    evidence = [
        (middle, Alignment(10, 60, 0, 50, 0.9)),
        (early, Alignment(20, 50, 100, 130, 1.0)),
        (late, Alignment(0, 60, 0, 60, 0.95)),
    ]
    result = trace(DOC, 100, evidence)
    assert [(s.start, s.end, s.source.witness.doc_id) for s in result.spans] == [
        (10, 20, "mid"),
        (20, 50, "early"),
        (50, 60, "mid"),
    ]
    inner = result.spans[1]
    assert (inner.source.start, inner.source.end) == (100, 130)
    assert {w.witness.doc_id for w in inner.witnesses} == {"mid", "late"}
    assert result.sources == ("mid", "early")
    assert result.reuse_ratio == 0.5
    assert result.original == ((0, 10), (60, 100))
    # doc[0:10] is covered only by a later document: the doc had it first.
    assert [(s.start, s.end, s.source.witness.doc_id) for s in result.first_here] == [(0, 10, "doc")]
    assert [w.witness.doc_id for w in result.first_here[0].witnesses] == ["late"]


def test_equally_early_witnesses_are_ordered_by_doc_id_the_doc_included() -> None:
    """Same date, same capture time: the smaller doc id is the source, so which of two copies
    cites the other does not depend on which was ingested first."""
    when = datetime(2020, 3, 3, 8, tzinfo=UTC)
    a, b, c = (_w(name, date(2020, 3, 3), fetched=when) for name in ("a", "b", "c"))
    span = Alignment(0, 40, 0, 40, 1.0)
    assert trace(b, 40, [(c, span), (a, span)]).sources == ("a",)
    assert trace(a, 40, [(b, span), (c, span)]).sources == ()
    assert [s.source.witness.doc_id for s in trace(a, 40, [(b, span)]).first_here] == ["a"]


def test_capture_time_breaks_ties_and_stands_in_for_a_missing_date() -> None:
    same_day = date(2020, 3, 3)
    first = _w("first", same_day, fetched=datetime(2020, 3, 3, 8))
    second = _w("second", same_day, fetched=datetime(2020, 3, 3, 9))
    undated = _w("undated", None, fetched=datetime(2018, 1, 1))
    unknown = _w("unknown", None)
    span = Alignment(0, 40, 0, 40, 1.0)
    result = trace(DOC, 40, [(second, span), (first, span)])
    assert result.spans[0].source.witness.doc_id == "first"
    result = trace(DOC, 40, [(first, span), (undated, span), (unknown, span)])
    assert result.spans[0].source.witness.doc_id == "undated"


def test_a_witness_no_earlier_than_the_doc_is_never_its_source() -> None:
    twin = _w("twin", DOC.published)
    whole = Alignment(0, 50, 0, 50, 1.0)
    result = trace(DOC, 50, [(twin, whole), (_w("later", date(2024, 1, 1)), whole)])
    assert result.spans == ()
    assert result.reuse_ratio == 0.0
    assert result.first_here[0].source.witness == DOC


def test_same_site_boilerplate_is_not_reuse_but_a_long_site_repost_is() -> None:
    pages = [_w(f"p{i}", date(2018, 1, i + 1), site=DOC.site) for i in range(3)]
    footer = [(p, Alignment(900, 960, 10, 70, 1.0)) for p in pages]
    repost = [(p, Alignment(0, 800, 0, 800, 1.0)) for p in pages]
    other_site = [(_w("x", date(2017, 1, 1), site="b.example"), Alignment(900, 960, 0, 60, 1.0))]
    assert trace(DOC, 1000, footer).boilerplate == ((900, 960),)
    assert trace(DOC, 1000, footer).spans == ()
    assert trace(DOC, 1000, footer[:2]).spans != ()  # two pages are not "many"
    assert trace(DOC, 1000, footer, BoilerplateRule(min_pages=4)).spans != ()
    assert trace(DOC, 1000, footer + other_site).spans[0].source.witness.doc_id == "x"
    assert trace(DOC, 1000, repost).reused_chars == 800


def test_alignments_outside_the_doc_or_with_itself_are_ignored() -> None:
    itself = (DOC, Alignment(0, 50, 0, 50, 1.0))
    beyond = (_w("e", date(2000, 1, 1)), Alignment(40, 80, 0, 40, 1.0))
    result = trace(DOC, 50, [itself, beyond])
    assert result.spans == () and result.original == ((0, 50),)


def test_three_paragraphs_from_three_templates_get_three_sources() -> None:
    corpus = [d for d in generate(40, seed=5) if d.role == "unrelated"][:4]
    own, templates = corpus[0], corpus[1:4]
    own_paras = own.text.split("\n")
    borrowed = [t.text.split("\n")[2] for t in templates]
    parts = [own_paras[0], borrowed[0], own_paras[1], borrowed[1], own_paras[2], borrowed[2]]
    text = "\n".join([*parts, own_paras[3]])
    doc = normalize_text(text, "mixed")
    me = _w("mixed", date(2030, 1, 1))
    evidence = []
    for t in templates:
        witness = _w(t.doc_id, t.published, site=t.site)
        evidence += [(witness, al) for al in align(doc, normalize_text(t.text, t.doc_id))]
    result = trace(me, len(doc.display), evidence)
    assert set(result.sources) == {t.doc_id for t in templates}
    for t, para in zip(templates, borrowed, strict=True):
        at = doc.display.index(para)
        [span] = [s for s in result.spans if s.source.witness.doc_id == t.doc_id]
        assert span.start <= at + 5 and span.end >= at + len(para) - 5


DATES = st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 1, 1))


@st.composite
def _evidence(draw: st.DrawFn) -> list[tuple[Witness, Alignment]]:
    out = []
    for i in range(draw(st.integers(0, 8))):
        witness = _w(f"w{i}", draw(st.none() | DATES), site=draw(st.sampled_from(["a.example", "b.example"])))
        for _ in range(draw(st.integers(1, 3))):
            start = draw(st.integers(0, 190))
            end = draw(st.integers(start + 1, 200))
            out.append((witness, Alignment(start, end, start, end, 0.9)))
    return out


@settings(max_examples=200, deadline=None)
@given(_evidence(), st.none() | DATES)
def test_trace_invariants(evidence: list[tuple[Witness, Alignment]], published: date | None) -> None:
    doc = _w("doc", published)
    result = trace(doc, 200, evidence)
    spans = sorted([*result.spans, *result.first_here], key=lambda s: s.start)
    for before, after in itertools.pairwise(spans):
        assert before.end <= after.start
    for span in result.spans:
        assert span.source.witness.order < doc.order
        # Every reused char is inside an alignment of its source, and no covering witness is earlier.
        for k in range(span.start, span.end):
            covering = [w for w, al in evidence if al.a_start <= k < al.a_end and w.doc_id != "doc"]
            assert span.source.witness.doc_id in {w.doc_id for w in covering}
            assert min(w.order for w in covering) == span.source.witness.order
    covered = set()
    for _, al in evidence:
        covered |= set(range(al.a_start, al.a_end))
    reused = {k for s in result.spans for k in range(s.start, s.end)}
    assert reused <= covered
    assert sum(e - s for s, e in result.original) + result.reused_chars == 200
    assert 0.0 <= result.reuse_ratio <= 1.0


def test_capture_times_in_different_zones_compare_as_instants() -> None:
    from datetime import timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    early = _w("early", None, fetched=datetime(2020, 3, 3, 9, tzinfo=beijing))  # 01:00 UTC
    late = _w("late", None, fetched=datetime(2020, 3, 3, 2, tzinfo=UTC))
    span = Alignment(0, 40, 0, 40, 1.0)
    result = trace(DOC, 40, [(late, span), (early, span)])
    assert result.spans[0].source.witness.doc_id == "early"
