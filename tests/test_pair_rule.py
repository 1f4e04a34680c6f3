"""The pair rule's pure parts: rank keys sort as witnesses rank, and which pairs are linked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st

from dedup.pair_rule import DEFAULT_LINKS, rank_key, ranked_id
from dedup.provenance import Witness

zones = st.sampled_from([None, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
witnesses = st.builds(
    Witness,
    doc_id=st.text("0123456789abcdef", min_size=20, max_size=20),
    url=st.just("https://a.example/"),
    site=st.just("a.example"),
    published=st.none() | st.dates(),
    fetched_at=st.none() | st.datetimes(timezones=zones),
)
ANY_ID = st.text(min_size=1, max_size=24)  # a '|' in an id too: the id is all after the first '|'
any_ids = st.builds(Witness, doc_id=ANY_ID, url=st.just("u"), site=st.just("s"), published=st.dates())
EDGES = [
    Witness("a", "u", "s", date.min, datetime.min),
    Witness("b", "u", "s", date.max, datetime.max.replace(tzinfo=UTC)),
    Witness("c", "u", "s", None, None),  # unknown: last
    Witness("d", "u", "s", date(2013, 7, 23), datetime(2025, 1, 1, 0, 28, 46)),
]


@given(st.lists(witnesses | any_ids, max_size=12))
@example(EDGES)
def test_rank_keys_sort_as_witnesses_rank(found: list[Witness]) -> None:
    assert sorted(found, key=rank_key) == sorted(found, key=lambda w: w.rank)
    assert all(ranked_id(rank_key(w)) == w.doc_id for w in found)


@given(witnesses)
@example(EDGES[0])
@example(EDGES[1])
def test_a_rank_key_is_a_fixed_width_order_then_the_doc_id(witness: Witness) -> None:
    """Issue 21: the key is each of a document's neighbours' sorted-set members and a field of its
    record; 14 ASCII characters encode the order (35 bytes with a 20-character id, not 58)."""
    order, bar, doc_id = rank_key(witness).partition("|")
    assert (len(order), bar, doc_id) == (14, "|", witness.doc_id)
    assert order.isascii() and order.isprintable()


def test_a_pair_is_linked_by_shared_passages_or_by_either_side_s_earliest_neighbours() -> None:
    others = ["few", "enough", "mine", "theirs", "neither"]
    shared = {"few": DEFAULT_LINKS.min_shared - 1, "enough": DEFAULT_LINKS.min_shared}
    assert DEFAULT_LINKS.linked(others, shared, {"mine"}, {"theirs"}) == {"enough", "mine", "theirs"}
