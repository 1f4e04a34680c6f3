"""The Redis LSH index against the in-memory one, on a real redis-server."""

from __future__ import annotations

import redis

from dedup.fingerprint import Fingerprint
from dedup.lsh import LSHParams, MemoryLSHIndex
from dedup.verify import compact
from tests.engine_corpus import FP_ID, corpus
from workers.keys import Keys
from workers.lsh_index import RedisLSHIndex


def test_same_candidates_as_the_memory_index(redis_client: redis.Redis) -> None:
    docs = corpus()
    ours, reference = RedisLSHIndex(redis_client, Keys("t"), FP_ID), MemoryLSHIndex(FP_ID)
    for _, fp in docs:
        assert ours.add(fp) == reference.add(fp)
    assert sum(len(ours.add(fp)) for _, fp in docs) > len(docs) // 2  # families do collide


def test_re_adding_changes_nothing(redis_client: redis.Redis) -> None:
    docs = corpus()[:80]
    index = RedisLSHIndex(redis_client, Keys("t"), FP_ID)
    first = [index.add(fp) for _, fp in docs]
    snapshot = {k: redis_client.dump(k) for k in redis_client.keys("*")}
    second = [index.add(fp) for _, fp in reversed(docs)][::-1]
    assert {k: redis_client.dump(k) for k in redis_client.keys("*")} == snapshot
    assert all({c.doc_id for c in a} <= {c.doc_id for c in b} for a, b in zip(first, second, strict=False))


def test_remove_then_re_add_with_new_text(redis_client: redis.Redis) -> None:
    (_, a), (_, b) = corpus()[:2]
    index = RedisLSHIndex(redis_client, Keys("t"), FP_ID)
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    index.add(a)
    assert [c.doc_id for c in index.add(twin)] == [a.doc_id]
    assert index.remove("twin") and not index.remove("twin")
    assert index.add(a) == []
    index.add(b)
    moved = Fingerprint("twin", b.fingerprint_id, b.signature, b.shingle_count, b.key_hash)
    assert [c.doc_id for c in index.add(moved)] == [b.doc_id]


def test_fingerprint_ids_and_layouts_never_mix(redis_client: redis.Redis) -> None:
    (_, a), _ = corpus()[:2]
    other_id = Fingerprint("other", "c5m128s1a32-n2", a.signature, a.shingle_count, a.key_hash)
    RedisLSHIndex(redis_client, Keys("t"), FP_ID).add(a)
    assert RedisLSHIndex(redis_client, Keys("t"), other_id.fingerprint_id).add(other_id) == []
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    assert RedisLSHIndex(redis_client, Keys("t"), FP_ID, LSHParams(25, 5)).add(twin) == []
    assert RedisLSHIndex(redis_client, Keys("t"), FP_ID).add(twin)[0].doc_id == a.doc_id


def test_candidates_carry_signature_and_count(redis_client: redis.Redis) -> None:
    (_, a), _ = corpus()[:2]
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    index = RedisLSHIndex(redis_client, Keys("t"), FP_ID)
    index.add(a)
    (found,) = index.add(twin)
    assert found.shingle_count == a.shingle_count
    assert found.signature == compact(a.values())


def test_add_many_inserts_all_before_querying_any(redis_client: redis.Redis) -> None:
    docs = [fp for _, fp in corpus()]
    index, reference = RedisLSHIndex(redis_client, Keys("t"), FP_ID), MemoryLSHIndex(FP_ID)
    for start in range(0, len(docs), 64):
        batch = docs[start : start + 64]
        got = index.add_many(batch)
        for fp in batch:
            reference.add(fp)
        assert got == [reference.add(fp) for fp in batch]  # re-add = query with all inserted
    assert index.add_many([]) == []
    assert [index.add(fp) for fp in docs] == [reference.add(fp) for fp in docs]
