"""The Redis LSH index against the in-memory one, on a real redis-server."""

from __future__ import annotations

import itertools
import random
import zlib

import numpy as np
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.keys import Keys
from dedup.fingerprint import Fingerprint
from dedup.lsh import LSHParams, MemoryLSHIndex
from dedup.verify import compact
from tests.engine_corpus import FP_ID, corpus
from tests.engine_stack import lsh_index
from tests.redis_contents import contents
from workers.stores.lsh_index import RedisLSHIndex


def test_same_candidates_as_the_memory_index(redis_client: redis.Redis) -> None:
    docs = corpus()
    ours, reference = lsh_index(redis_client, Keys("t"), FP_ID), MemoryLSHIndex(FP_ID)
    for _, fp in docs:
        assert ours.add(fp) == reference.add(fp)
    assert sum(len(ours.add(fp)) for _, fp in docs) > len(docs) // 2  # families do collide


def test_re_adding_changes_nothing(redis_client: redis.Redis) -> None:
    docs = corpus()[:80]
    index = lsh_index(redis_client, Keys("t"), FP_ID)
    first = [index.add(fp) for _, fp in docs]
    snapshot = contents(redis_client)
    second = [index.add(fp) for _, fp in reversed(docs)][::-1]
    assert contents(redis_client) == snapshot
    assert all({c.doc_id for c in a} <= {c.doc_id for c in b} for a, b in zip(first, second, strict=False))


def test_remove_then_re_add_with_new_text(redis_client: redis.Redis) -> None:
    (_, a), (_, b) = corpus()[:2]
    index = lsh_index(redis_client, Keys("t"), FP_ID)
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
    lsh_index(redis_client, Keys("t"), FP_ID).add(a)
    assert lsh_index(redis_client, Keys("t"), other_id.fingerprint_id).add(other_id) == []
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    assert lsh_index(redis_client, Keys("t"), FP_ID, LSHParams(25, 5)).add(twin) == []
    assert lsh_index(redis_client, Keys("t"), FP_ID).add(twin)[0].doc_id == a.doc_id


def test_names_of_every_length_come_back(redis_client: redis.Redis) -> None:
    (_, a), _ = corpus()[:2]
    index = lsh_index(redis_client, Keys("t"), FP_ID)
    names = ["", "x" * 22, "x" * 23, "y" * 24, "ü" * 12, "z" * 300]  # 0, 22, 23, 24, 24, 300 bytes
    for name in names:
        index.add(Fingerprint(name, a.fingerprint_id, a.signature, a.shingle_count, a.key_hash))
    probe = Fingerprint("probe", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    assert [c.doc_id for c in index.add(probe)] == sorted(names)
    gone = {"z" * 300, "x" * 23, "y" * 24}
    assert redis_client.keys(f"{index.base}:nm:*")  # the long names
    assert all(index.remove(name) for name in gone)
    assert [c.doc_id for c in index.add(probe)] == sorted(set(names) - gone)
    assert index.remove("ü" * 12) and not redis_client.keys(f"{index.base}:nm:*")


def test_candidates_carry_signature_and_count(redis_client: redis.Redis) -> None:
    (_, a), _ = corpus()[:2]
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    index = lsh_index(redis_client, Keys("t"), FP_ID)
    index.add(a)
    (found,) = index.add(twin)
    assert found.shingle_count == a.shingle_count
    assert found.signature == compact(a.values())


def test_add_many_inserts_all_before_querying_any(redis_client: redis.Redis) -> None:
    docs = [fp for _, fp in corpus()]
    index, reference = lsh_index(redis_client, Keys("t"), FP_ID), MemoryLSHIndex(FP_ID)
    for start in range(0, len(docs), 64):
        batch = docs[start : start + 64]
        got = index.add_many(batch)
        for fp in batch:
            reference.add(fp)
        assert got == [reference.add(fp) for fp in batch]  # re-add = query with all inserted
    assert index.add_many([]) == []
    assert [index.add(fp) for fp in docs] == [reference.add(fp) for fp in docs]


def _address(h: int, n: int, entries: int) -> int:
    """Linear hashing as lsh_add.lua describes it, written again here to check the scripts."""
    shards = max(1, n // entries)
    low = 1 << (shards.bit_length() - 1)
    a = h % (2 * low)
    return a if a < shards else h % low


def misplaced(connection: redis.Redis, index: RedisLSHIndex) -> int:
    """Entries stored in another shard than their hash's address (0 when the splits are right)."""
    n, (band_entries, id_entries) = int(connection.get(index.counter) or 0), index.sizes
    wrong = 0
    for key in connection.scan_iter(match=f"{index.base}:b:*"):
        shard, entries = int.from_bytes(key[-3:], "little"), connection.get(key)
        assert isinstance(entries, bytes)
        hashes = [int.from_bytes(entries[i : i + 4], "little") for i in range(0, len(entries), 8)]
        wrong += sum(_address(h, n, band_entries) != shard for h in hashes)
    for key in connection.scan_iter(match=f"{index.base}:id:*"):
        shard = int.from_bytes(key[-3:], "little")
        crcs = [zlib.crc32(doc if isinstance(doc, bytes) else doc.encode()) for doc in connection.hkeys(key)]
        wrong += sum(_address(crc, n, id_entries) != shard for crc in crcs)
    return wrong


def entries(connection: redis.Redis, index: RedisLSHIndex) -> int:
    """Bucket entries in all shards: bands x documents when none was lost or doubled."""
    return sum(connection.strlen(key) for key in connection.scan_iter(match=f"{index.base}:b:*")) // 8


_namespaces = itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    band_entries=st.integers(1, 6),
    id_entries=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 9),
)
def test_shards_split_as_it_grows_and_nothing_is_lost(
    redis_client: redis.Redis, band_entries: int, id_entries: int, seed: int, batch: int
) -> None:
    rng = random.Random(seed)
    docs = [fp for _, fp in corpus()][:90]
    docs += [  # names of 5 to 32 bytes: stored in the record up to 23, in the nm hash beyond
        Fingerprint(f"twin{i}" + "é" * rng.randrange(14), FP_ID, f.signature, f.shingle_count, f.key_hash)
        for i, f in enumerate(docs[:20])
    ]
    rng.shuffle(docs)
    keys = Keys(f"split{next(_namespaces)}")
    index = lsh_index(redis_client, keys, FP_ID, band_entries=band_entries, id_entries=id_entries)
    reference = MemoryLSHIndex(FP_ID)
    for start in range(0, len(docs), batch):
        part = docs[start : start + batch]
        got = index.add_many(part)
        for fp in part:
            reference.add(fp)
        assert got == [reference.add(fp) for fp in part]
    for fp in docs[::3]:
        assert index.remove(fp.doc_id) == reference.remove(fp.doc_id)
    assert [index.add(fp) for fp in docs[::2]] == [reference.add(fp) for fp in docs[::2]]
    assert misplaced(redis_client, index) == 0
    assert entries(redis_client, index) == index.params.bands * len(reference)
    assert int(redis_client.get(index.counter) or 0) > 2 * max(band_entries, id_entries)


def test_shards_of_thousands_of_entries_split(redis_client: redis.Redis) -> None:
    """2 bands, 1,100 entries a shard: the first split takes a shard of 2,200 entries (Lua
    calls take and return at most ~8,000 values: a split must not pass entries that way)."""
    rng = np.random.default_rng(7)
    signatures = rng.integers(0, 2**32, (2_300, 128), dtype=np.uint32).astype("<u4")
    docs = [Fingerprint(f"r{i}", FP_ID, values.tobytes(), 50, "") for i, values in enumerate(signatures)]
    docs += [Fingerprint(f"again{i}", FP_ID, docs[i * 37].signature, 50, "") for i in range(40)]
    params = LSHParams(2, 3)
    index = lsh_index(redis_client, Keys("big"), FP_ID, params, band_entries=1_100)
    reference = MemoryLSHIndex(FP_ID, params)
    for start in range(0, len(docs), 200):
        part = docs[start : start + 200]
        got = index.add_many(part)
        for fp in part:
            reference.add(fp)
        assert got == [reference.add(fp) for fp in part]
    assert misplaced(redis_client, index) == 0
    assert entries(redis_client, index) == 2 * len(docs)
    assert [index.add(fp) for fp in docs[::50]] == [reference.add(fp) for fp in docs[::50]]


def test_tag_groups_give_the_memory_index_candidates(redis_client: redis.Redis) -> None:
    """The bands split into tag groups (a cluster's layout): the candidates of one index, batch
    and single adds, and a removed document leaves every group."""
    docs = corpus()
    grouped = lsh_index(redis_client, Keys("t"), FP_ID, groups=5)
    whole = lsh_index(redis_client, Keys("w"), FP_ID)
    half = len(docs) // 2
    assert grouped.add_many([fp for _, fp in docs[:half]]) == whole.add_many([fp for _, fp in docs[:half]])
    for _, fp in docs[half:]:
        assert grouped.add(fp) == whole.add(fp)
    (_, first), (_, second) = docs[:2]
    assert grouped.remove(first.doc_id) and not grouped.remove(first.doc_id)
    assert first.doc_id not in {c.doc_id for c in grouped.add(second)}
    assert len({k.split(b"}")[0] for k in redis_client.scan_iter(match=Keys("t").pattern)}) == 5
    assert sum(len(found) for found in whole.add_many([fp for _, fp in docs])) > len(docs) // 2
