"""Shingle hashing: one hash per distinct n-gram, deterministic, nothing for too-short keys."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.shingles import shingle_hashes, shingle_set

CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40), max_size=300)


@given(CJK)
def test_one_hash_per_distinct_shingle(key: str) -> None:
    hashes = shingle_hashes(key)
    assert hashes.dtype == np.uint32
    assert len(hashes) == len(shingle_set(key))  # 32-bit collisions are negligible here
    assert np.all(np.diff(hashes.astype(np.int64)) > 0)  # sorted, distinct


@given(CJK, CJK)
def test_shared_shingles_share_hashes(a: str, b: str) -> None:
    shared = len(np.intersect1d(shingle_hashes(a), shingle_hashes(b)))
    assert shared == len(shingle_set(a) & shingle_set(b))


def test_short_keys_have_no_shingles_and_n_matters() -> None:
    assert len(shingle_hashes("一二三四")) == 0
    assert len(shingle_hashes("一二三四五")) == 1
    assert len(shingle_hashes("一二三四五六", n=3)) == 4


def test_hash_is_positional_not_a_bag_of_characters() -> None:
    assert shingle_hashes("甲乙丙丁戊")[0] != shingle_hashes("戊丁丙乙甲")[0]
    assert np.array_equal(shingle_hashes("甲乙丙丁戊己"), shingle_hashes("甲乙丙丁戊己"))
