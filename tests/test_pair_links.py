"""Pending pair links on a real redis-server: taken, they stay pending until done, and one made
pending anew meanwhile stays for the next drain (a killed worker loses none)."""

from __future__ import annotations

from datetime import date

import redis

from archive.keys import Keys
from dedup.pair_rule import rank_key
from dedup.provenance import Witness
from tests.engine_stack import ENGINE
from workers.stores.pair_links import PairLinks


def test_a_taken_document_leaves_the_pending_set_only_when_done_and_not_pending_anew(
    redis_client: redis.Redis,
) -> None:
    links = PairLinks(redis_client, Keys("links"), ENGINE.align.version, ENGINE.links)
    pending = f"{links.base}:pending"
    redis_client.zadd(pending, {"a": 1, "b": 2})  # as links_add.lua scores them: a counter
    taken = links.pending(10)
    assert [doc_id for doc_id, _ in taken] == ["a", "b"]
    assert links.pending(10) == taken  # a worker killed here leaves both for the next
    redis_client.zadd(pending, {"b": 3})  # a newcomer among b's earliest meanwhile
    assert links.settled(taken) == 1
    assert [doc_id for doc_id, _ in links.pending(10)] == ["b"]


def test_a_removal_finds_its_neighbours_by_the_ids_their_rank_keys_end_with(
    redis_client: redis.Redis,
) -> None:
    """links_remove.lua reads a neighbour's id from its rank key as dedup.pair_rule.ranked_id does
    (after the first '|', which the fixed-width order before it never holds)."""
    links = PairLinks(redis_client, Keys("links"), ENGINE.align.version, ENGINE.links)
    gone, *others = (Witness(i, "u", "s", date(2020, 1, n + 1)) for n, i in enumerate(["x|0", "a|1", "b"]))
    redis_client.zadd(f"{links.base}:n:{gone.doc_id}", {rank_key(o): 0 for o in others})
    for other in others:
        redis_client.zadd(f"{links.base}:n:{other.doc_id}", {rank_key(gone): 0, rank_key(other): 0})
    links.remove(gone)
    assert links.nearest([o.doc_id for o in others]) == {o.doc_id: [o.doc_id] for o in others}


def test_neighbour_sets_of_an_older_rank_key_layout_are_never_read(redis_client: redis.Redis) -> None:
    """A store written with another rank key encoding (ISO dates) keeps its sets under another
    name: until a `reindex`, they are not mixed with keys that sort another way."""
    keys = Keys("links")
    links = PairLinks(redis_client, keys, ENGINE.align.version, ENGINE.links)
    older = f"{keys.links(ENGINE.align.version)}:n:a"
    redis_client.zadd(older, {"2013-07-23|2025-01-01T00:28:46.000000|b": 0})
    assert links.nearest(["a"]) == {"a": []}
