"""The worker's cache of seed tables: least recently used out past its byte budget, stale hashes
missed, and a compact table aligns as the prepared text it came from."""

from __future__ import annotations

from dedup.align import align_prepared_many, prepare
from dedup.corpus import generate
from dedup.normalize import normalize_text
from workers.candidate_cache import CandidateCache


def test_keeps_the_most_recently_used_within_its_budget_and_misses_other_hashes() -> None:
    speech = "同志们：今天我们召开全市教育工作会议，回顾总结过去一年的工作，部署今年的任务。"
    index = prepare(normalize_text(speech, "a"))
    size = index.compact().nbytes
    cache = CandidateCache(2 * size)
    cache.put("a", "h1", index)
    cache.put("b", "h1", index)
    assert cache.get("a", "h1") is not None  # a is now the most recent
    cache.put("c", "h1", index)
    assert cache.get("b", "h1") is None and cache.get("a", "h1") is not None
    assert cache.get("a", "h2") is None  # the page changed since
    cache.put("a", "h2", index)
    assert len(cache) == 2 and cache.held == 2 * size and cache.get("a", "h1") is None


def test_a_compact_table_is_smaller_and_aligns_the_same() -> None:
    texts = [normalize_text(doc.noisy, doc.doc_id) for doc in generate(12, 3)]
    prepared = [prepare(text) for text in texts]
    compact = [p.compact() for p in prepared]
    assert all(c.nbytes < p.nbytes and not hasattr(c, "norm") for c, p in zip(compact, prepared, strict=True))
    whole = align_prepared_many(prepared[0], prepared[1:])
    assert sum(map(len, whole)) > 0
    assert align_prepared_many(prepared[0], compact[1:]) == whole
    assert align_prepared_many(compact[0], compact[1:]) == whole
