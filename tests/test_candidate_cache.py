"""The worker's cache of candidates: least recently used out past its byte budget, stale hashes
missed, and what it keeps (compact tables, packed keys) aligns as the prepared text it came from."""

from __future__ import annotations

from dedup.align import PackedKey, align_prepared_many, prepare
from dedup.normalize import normalize_text
from synthetic.corpus import generate
from workers.stores.candidate_cache import TABLES_SHARE, CandidateCache

SPEECH = "同志们：今天我们召开全市教育工作会议，回顾总结过去一年的工作，部署今年的任务。"


def test_keeps_the_most_recently_used_within_its_budget_and_misses_other_hashes() -> None:
    index = prepare(normalize_text(SPEECH, "a"))
    cache = CandidateCache(2 * index.compact().nbytes * TABLES_SHARE)  # two tables, more keys
    for doc_id in "abc":
        cache.put(doc_id, "h1", index)
    assert list(cache.tables.entries) == ["b", "c"] and len(cache) == 3
    assert cache.get("c", "h1") is not None
    assert cache.get("c", "h2") is None  # the page changed since
    cache.put("c", "h2", index)
    assert cache.get("c", "h1") is None and cache.get("c", "h2") is not None
    room = cache.keys.budget // PackedKey.of(index.norm.key, index).nbytes
    for n in range(room):
        cache.put(f"other-{n}", "h1", index)
    assert cache.get("a", "h1") is None  # the least recently used went from both tiers
    assert cache.held <= cache.tables.budget + cache.keys.budget and len(cache) == room


def test_a_table_gone_from_the_tables_is_rebuilt_from_its_packed_key() -> None:
    index = prepare(normalize_text(SPEECH, "a"))
    cache = CandidateCache(10**6)
    cache.tables.budget = index.compact().nbytes  # one table, many keys
    cache.put("a", "h1", index)
    cache.put("b", "h1", index)
    assert list(cache.tables.entries) == ["b"] and list(cache.keys.entries) == ["a", "b"]
    rebuilt = cache.get("a", "h1")
    assert rebuilt is not None and list(cache.tables.entries) == ["a"]
    assert rebuilt.key_size == index.key_size and (rebuilt.order == index.order).all()


def test_compact_tables_and_packed_keys_align_the_same() -> None:
    texts = [normalize_text(doc.noisy, doc.doc_id) for doc in generate(12, 3)]
    texts.append(normalize_text(texts[0].display[:300] + "。" * 300 + texts[1].display[:300], "wide"))
    prepared = [prepare(text) for text in texts]
    packed = [PackedKey.of(p.norm.key, p) for p in prepared]
    assert packed[-1].wide is not None and all(p.wide is None for p in packed[:-1])
    assert all(p.nbytes * 4 < t.compact().nbytes for p, t in zip(packed[:-1], prepared, strict=False))
    whole = align_prepared_many(prepared[0], prepared[1:])
    assert sum(map(len, whole)) > 0 and whole[-1]
    assert align_prepared_many(prepared[0], [p.compact() for p in prepared[1:]]) == whole
    assert align_prepared_many(packed[0].table(), [p.table() for p in packed[1:]]) == whole
