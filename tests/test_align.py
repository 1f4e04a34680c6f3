"""Alignment: shared stretches between two texts, in display offsets, similarity >= threshold."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.align import DEFAULT_ALIGN, AlignConfig, Alignment, _where_in, align, align_many
from dedup.errors import ConfigError, Rejected
from dedup.normalize import normalize_text
from dedup.records import NormalizedText
from tests.plain_norm import plain_norm

SHARED = (
    "会议强调，要切实加强党对教育工作的全面领导，深化教育领域综合改革，"
    "推动义务教育优质均衡发展，办好人民满意的教育。"
)
OWN_A = "今天上午，全县召开安全生产工作推进会，传达学习上级文件精神。"
OWN_B = "近日，市卫生健康委员会组织开展医疗机构专项检查行动，查找问题隐患。"


def _covered_key(norm: NormalizedText, start: int, end: int) -> str:
    return "".join(ch for ch, at in zip(norm.key, norm.key_offsets, strict=True) if start <= at < end)


def _lcs(a: str, b: str) -> int:
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if ch == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _similarity(a: NormalizedText, b: NormalizedText, al: Alignment) -> float:
    key_a, key_b = _covered_key(a, al.a_start, al.a_end), _covered_key(b, al.b_start, al.b_end)
    return 2 * _lcs(key_a, key_b) / (len(key_a) + len(key_b))


def test_a_shared_paragraph_is_found_in_both_texts() -> None:
    a = plain_norm(OWN_A + "\n" + SHARED + "\n" + OWN_B[:10], "a")
    b = plain_norm(OWN_B + SHARED, "b")
    [al] = align(a, b)
    assert a.display[al.a_start : al.a_end] == SHARED[:-1]  # up to the last key character
    assert b.display[al.b_start : al.b_end] == SHARED[:-1]
    assert al.similarity == 1.0


def test_swapped_names_and_years_stay_inside_one_span() -> None:
    template = (
        "{y}年，{p}认真贯彻落实上级决策部署，坚持稳中求进工作总基调，"
        "{p}经济社会发展取得显著成效，人民群众获得感持续增强。"
    )
    a = plain_norm(template.format(y=2019, p="巴林左旗"), "a")
    b = plain_norm(template.format(y=2022, p="蒲县"), "b")
    [al] = align(a, b)
    assert "巴林左旗经济社会" in a.display[al.a_start : al.a_end]
    assert "蒲县经济社会" in b.display[al.b_start : al.b_end]
    assert DEFAULT_ALIGN.threshold <= al.similarity < 1.0


def test_unrelated_texts_share_nothing_reportable() -> None:
    assert align(plain_norm(OWN_A * 3, "a"), plain_norm(OWN_B * 3, "b")) == ()


def test_short_common_phrases_are_not_reported() -> None:
    a = plain_norm(OWN_A + "全面贯彻落实" + OWN_B, "a")
    b = plain_norm(SHARED + "全面贯彻落实" + SHARED, "b")
    assert align(a, b) == ()


def test_align_many_equals_pairwise_alignment() -> None:
    doc = plain_norm(OWN_A + SHARED + OWN_B, "doc")
    cands = [plain_norm(SHARED, "c1"), plain_norm(OWN_B, "c2"), plain_norm("无关", "c3")]
    assert align_many(doc, cands) == [align(doc, c) for c in cands]


def test_real_normalizer_offsets_point_into_display() -> None:
    raw = "<p>當前，" + SHARED + "</p>\n第 1 页 共 2 页\n" + OWN_A
    a, b = normalize_text(raw, "a"), normalize_text(OWN_B + SHARED, "b")
    [al] = align(a, b)
    assert a.display[al.a_start : al.a_end].startswith("会议强调")
    assert b.display[al.b_start : al.b_end].startswith("会议强调")


def test_bad_config_is_refused() -> None:
    with pytest.raises(ConfigError):
        AlignConfig(threshold=1.0)
    with pytest.raises(ConfigError):
        AlignConfig(seed=5, min_span=3)


ALPHABET = "会议强调要切实加强党对教育工作的全面领导深化改革推动发展办好人民满意"
TEXT = st.text(alphabet=ALPHABET + "，。\n 0123", min_size=0, max_size=160)


def _mutate(text: str, rng: random.Random, rate: float) -> str:
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate:
            out.append(rng.choice(ALPHABET))  # substitution
        elif roll < 2 * rate:
            continue  # deletion
        elif roll < 3 * rate:
            out.extend((ch, rng.choice(ALPHABET)))  # insertion
        else:
            out.append(ch)
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT, TEXT, st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.02, 0.08, 0.2]))
def test_spans_lie_inside_display_and_meet_the_threshold(
    prefix: str, shared: str, suffix: str, seed: int, rate: float
) -> None:
    rng = random.Random(seed)
    a = plain_norm(prefix + shared + suffix, "a")
    b = plain_norm(_mutate(suffix, rng, 0.3) + _mutate(shared, rng, rate) + _mutate(prefix, rng, rate), "b")
    for al in align(a, b):
        assert 0 <= al.a_start < al.a_end <= len(a.display)
        assert 0 <= al.b_start < al.b_end <= len(b.display)
        assert _similarity(a, b, al) >= DEFAULT_ALIGN.threshold
        shortest = min(
            len(_covered_key(a, al.a_start, al.a_end)), len(_covered_key(b, al.b_start, al.b_end))
        )
        assert shortest >= DEFAULT_ALIGN.min_span


@settings(max_examples=30, deadline=None)
@given(TEXT.filter(lambda t: len(t) > 40), st.integers(0, 2**32 - 1))
def test_an_identical_copy_is_aligned_almost_entirely(text: str, seed: int) -> None:
    a = plain_norm(text, "a")
    b = plain_norm(OWN_B + text + OWN_A, "b")
    covered = sum(len(_covered_key(a, al.a_start, al.a_end)) for al in align(a, b))
    if len(set(a.key)) > 8 and len(a.key) >= 2 * DEFAULT_ALIGN.min_span:
        assert covered >= 0.9 * len(a.key)


NOISY = st.text(alphabet=ALPHABET + "會議當前<b></b>&nbsp;，。、\n 2019年第页共", min_size=40, max_size=200)


@settings(max_examples=25, deadline=None)
@given(NOISY, NOISY, st.integers(0, 2**32 - 1))
def test_real_normalizer_spans_lie_inside_display_and_meet_the_threshold(
    shared: str, own: str, seed: int
) -> None:
    rng = random.Random(seed)
    try:
        a = normalize_text(own + "\n" + shared, "a")
        b = normalize_text(_mutate(shared, rng, 0.05) + "\n" + _mutate(own[::-1], rng, 0.3), "b")
    except Rejected:
        return  # too little text left: the normalizer says so, nothing to align
    for al in align(a, b):
        assert 0 <= al.a_start < al.a_end <= len(a.display)
        assert 0 <= al.b_start < al.b_end <= len(b.display)
        assert _similarity(a, b, al) >= DEFAULT_ALIGN.threshold


def test_a_text_made_of_one_repeated_passage_still_aligns() -> None:
    repeated = plain_norm(SHARED * 3, "a")
    [al] = align(repeated, repeated)
    assert (al.a_start, al.b_start, al.similarity) == (0, 0, 1.0)
    assert al.a_end >= len(SHARED) * 3 - 1
    assert align(plain_norm("", "e"), repeated) == () and align(repeated, plain_norm("短", "s")) == ()


# Hashes crowded into few top-bit buckets (the prefix list) exercise the binary-search fallback.
HASHES = st.lists(
    st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 7).map(lambda p: p << 29 | 12345)),
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(HASHES, HASHES)
def test_seed_lookup_finds_exactly_the_shared_hashes(values: list[int], queries: list[int]) -> None:
    table = np.unique(np.array(values, dtype=np.uint32))
    asked = np.array(queries, dtype=np.uint32)
    if table.size == 0:
        return
    at = _where_in(table, asked)
    assert ((at >= 0) & (at < table.size)).all()
    assert (table[at] == asked).tolist() == [q in set(values) for q in queries]
