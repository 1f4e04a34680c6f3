"""Alignment of space-delimited text on words (issue 17, item 8): a verbatim Latin-script passage
is found whole, in an English page or a Chinese one, and stock phrases are not reuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.latin_corpus import english_paragraphs
from dedup.align import align
from dedup.normalize import normalize_text
from dedup.records import NormalizedText
from tests.plain_norm import plain_norm

PASSAGE = (
    "The committee examined the railway budget in the spring and rejected the northern route "
    "after a long debate. Its report, published a year later, described the cost of every bridge "
    "along the coast and the delays of the harbor works."
)
CHINESE = (
    "同志们：今天我们召开全市教育工作会议，主要任务是回顾总结去年工作，部署今年重点任务。\n"
    "会议强调，要切实加强党对教育工作的全面领导，深化教育领域综合改革，推动义务教育优质均衡发展。"
)


def _norm(text: str, doc_id: str) -> NormalizedText:
    return normalize_text(text, doc_id)


def _span(norm: NormalizedText, start: int, end: int) -> str:
    return norm.display[start:end]


def test_a_verbatim_english_passage_is_one_span_with_display_offsets() -> None:
    own = english_paragraphs(6, seed=3)
    a = _norm("\n".join([own[0], own[1] + " " + PASSAGE + " " + own[2]]), "a")
    b = _norm("\n".join([own[3], PASSAGE, own[4], own[5]]), "b")
    [al] = align(a, b)
    assert _span(a, al.a_start, al.a_end) == PASSAGE[:-1]  # up to its last key character
    assert _span(b, al.b_start, al.b_end) == PASSAGE[:-1]


def test_unrelated_english_texts_sharing_stock_phrases_give_nothing() -> None:
    a = _norm("\n".join(english_paragraphs(12, seed=5)), "a")
    b = _norm("\n".join(english_paragraphs(12, seed=6)), "b")
    assert "It is important to note that the" in a.display and "It is important to note that the" in b.display
    assert align(a, b) == ()


def test_an_english_passage_in_a_chinese_page_is_found_whole() -> None:
    own = english_paragraphs(3, seed=8)
    page = _norm(CHINESE + "\n" + PASSAGE + "\n" + CHINESE[::-1], "page")
    source = _norm("\n".join([own[0], PASSAGE, own[1]]), "source")
    [al] = align(page, source)
    assert _span(page, al.a_start, al.a_end) == _span(source, al.b_start, al.b_end) == PASSAGE[:-1]


def test_chinese_with_a_few_english_words_still_aligns_on_characters() -> None:
    a = _norm("今年GDP增长百分之五，" + CHINESE, "a")
    b = _norm("去年的GDP数据显示，" + CHINESE.replace("全市", "全县"), "b")
    [al] = align(a, b)
    assert "全县" in _span(b, al.b_start, al.b_end) and _span(a, al.a_start, al.a_end).endswith("均衡发展")


_WORDS = st.sampled_from(("the", "of", "council", "river", "Anselm", "2019", "northern", "route", "中", "文"))


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, max_size=60), st.lists(_WORDS, max_size=60), st.sampled_from([" ", ", ", ". ", "\n"]))
def test_spans_of_word_text_start_and_end_on_word_edges(
    words_a: list[str], words_b: list[str], glue: str
) -> None:
    shared = "The committee examined the railway budget and rejected the northern route after a long debate"
    a = plain_norm(glue.join(words_a) + glue + shared + glue + glue.join(words_b), "a")
    b = plain_norm(shared + glue + glue.join(words_a[::-1]), "b")
    for al in align(a, b):
        for norm, start, end in ((a, al.a_start, al.a_end), (b, al.b_start, al.b_end)):
            text = norm.display
            assert 0 <= start < end <= len(text)
            assert start == 0 or not _latin(text[start - 1]) or not _latin(text[start])
            assert end == len(text) or not _latin(text[end - 1]) or not _latin(text[end])
    at = a.display.index(shared)
    assert any(al.a_start <= at and al.a_end >= at + len(shared) for al in align(a, b))  # found whole


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()
