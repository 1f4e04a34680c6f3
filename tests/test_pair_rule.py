"""The pair rule's pure parts: rank keys sort as witnesses rank, and which pairs are linked."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from hypothesis import given
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


@given(st.lists(witnesses, max_size=12, unique_by=lambda w: w.doc_id))
def test_rank_keys_sort_as_witnesses_rank(found: list[Witness]) -> None:
    assert sorted(found, key=rank_key) == sorted(found, key=lambda w: w.rank)
    assert all(ranked_id(rank_key(w)) == w.doc_id for w in found)


def test_a_pair_is_linked_by_shared_passages_or_by_either_side_s_earliest_neighbours() -> None:
    others = ["few", "enough", "mine", "theirs", "neither"]
    shared = {"few": DEFAULT_LINKS.min_shared - 1, "enough": DEFAULT_LINKS.min_shared}
    assert DEFAULT_LINKS.linked(others, shared, {"mine"}, {"theirs"}) == {"enough", "mine", "theirs"}
