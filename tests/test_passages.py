"""Passages: sentence/clause pieces with offsets into the display text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import ConfigError
from dedup.passages import split_passages

PIECES = st.lists(
    st.tuples(
        st.text(alphabet="会议指出要加强领导全面推进工作落实abc 0123", min_size=0, max_size=30),
        st.sampled_from(["。", "！", "？", "；", "\n", "\n\n", "", "，"]),
    ),
    max_size=12,
)


def test_sentences_end_at_chinese_stops_and_short_ones_merge() -> None:
    text = (
        "会议指出，今年工作很好。我们要努力！\n\n一、加强领导；二、抓好落实。\n"
        "短。\n这是一个很长的句子，用来测试切分。"
    )
    found = [text[p.start : p.end] for p in split_passages(text, min_chars=10)]
    assert found == [
        "会议指出，今年工作很好。我们要努力！",
        "一、加强领导；二、抓好落实。",
        "短。",
        "这是一个很长的句子，用来测试切分。",
    ]


def test_min_chars_must_be_positive() -> None:
    with pytest.raises(ConfigError):
        split_passages("文本", min_chars=0)


@given(PIECES, st.integers(min_value=1, max_value=40))
def test_passages_cover_every_visible_character_once(
    pieces: list[tuple[str, str]], min_chars: int
) -> None:
    text = "".join(a + b for a, b in pieces)
    passages = split_passages(text, min_chars)
    covered = [0] * len(text)
    for i, p in enumerate(passages):
        assert p.index == i
        assert 0 <= p.start < p.end <= len(text)
        assert not text[p.start].isspace() and not text[p.end - 1].isspace()
        for k in range(p.start, p.end):
            covered[k] += 1
    assert all(c == 1 for c, ch in zip(covered, text, strict=True) if not ch.isspace())
    assert all(c <= 1 for c in covered)
    lines = {line.strip() for line in text.split("\n")}
    for p in passages:
        # Shorter than min_chars only if it is a whole (short) line.
        assert p.end - p.start >= min_chars or text[p.start : p.end] in lines
        assert "\n" not in text[p.start : p.end]
