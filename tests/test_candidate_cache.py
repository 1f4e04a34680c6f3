"""The worker's cache of prepared candidates: least recently used out, stale hashes missed."""

from __future__ import annotations

from dedup.align import prepare
from dedup.normalize import normalize_text
from workers.candidate_cache import CandidateCache


def test_keeps_the_most_recently_used_and_misses_other_hashes() -> None:
    speech = "同志们：今天我们召开全市教育工作会议，回顾总结过去一年的工作，部署今年的任务。"
    index = prepare(normalize_text(speech, "a"))
    cache = CandidateCache(2)
    cache.put("a", "h1", index)
    cache.put("b", "h1", index)
    assert cache.get("a", "h1") is index  # a is now the most recent
    cache.put("c", "h1", index)
    assert cache.get("b", "h1") is None and cache.get("a", "h1") is index
    assert cache.get("a", "h2") is None  # the page changed since
    cache.put("a", "h2", index)
    assert len(cache) == 2 and cache.get("a", "h1") is None
