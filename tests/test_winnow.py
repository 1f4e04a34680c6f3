"""Winnowing against its definition: every window's minimum n-gram hash, distinct and sorted."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from dedup.align import gram_hashes
from dedup.shingles import distinct
from dedup.winnow import WinnowConfig, window_minima, winnow, winnow_array

_MASK = (1 << 60) - 1


def by_definition(key: str, config: WinnowConfig) -> list[int]:
    hashes = gram_hashes(key, config.gram) & np.uint64(_MASK)
    if hashes.size > config.window:
        hashes = sliding_window_view(hashes, config.window).min(axis=1)
    return sorted({int(h) for h in hashes})


# a small alphabet: keys with repeated n-grams, so windows share minima
keys = st.text(alphabet="一二三四五六七八九十ab", max_size=300)


@settings(max_examples=300)
@given(keys, st.integers(2, 6), st.integers(1, 40))
def test_winnowing_keeps_every_windows_minimum_once(key: str, gram: int, window: int) -> None:
    config = WinnowConfig(gram, window)
    found = winnow_array(key, config)
    assert found.dtype == np.uint64
    assert found.tolist() == by_definition(key, config)
    assert list(winnow(key, config)) == by_definition(key, config)


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=200), st.integers(1, 64))
def test_window_minima_are_the_sliding_windows_minima(values: list[int], window: int) -> None:
    array = np.array(values, dtype=np.uint64)
    expected = sliding_window_view(array, window).min(axis=1) if len(values) >= window else array[:0]
    assert window_minima(array, window).tolist() == expected.tolist()


@given(st.lists(st.integers(0, 2**64 - 1), max_size=200))
def test_distinct_is_the_sorted_set(values: list[int]) -> None:
    assert distinct(np.array(values, dtype=np.uint64)).tolist() == sorted(set(values))
