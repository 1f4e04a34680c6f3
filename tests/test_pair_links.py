"""Pending pair links on a real redis-server: taken, they stay pending until done, and one made
pending anew meanwhile stays for the next drain (a killed worker loses none)."""

from __future__ import annotations

import redis

from archive.keys import Keys
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
