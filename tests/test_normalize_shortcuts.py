"""The normalizer's shortcuts decide as the tests they stand in front of: a cheap necessary test
says no only where the full test says no, and a faster form finds what the plain form finds.
(bench/normalize_same.py compares whole outputs with the code before them.)"""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.normalize import chrome, chunks, counters, punctuation, spaces

_NOISE = [
    "第", "共", "页", " ", "_第", "page", "PAGE", " of ", "/", "／", "-", "1", "23", "456", "7890",
    ".doc", ".PDF", "讲话", "\t", "，", ",", "|", "上传人：", "QQ：", "qq:", "微信：", "电话:", "e-mail:",
    "EMAIL:", "1234567", "abc@x.cn", "tags:", "TAGS：", "标签：", "本文关键词：", "来源：网络", "出处:",
    "本文链接：http://a.cn/", "网址: www.x.cn", "发布", "时间", "日期", "更新", "：", "2023-05-06", "年",
    "月", "日", "10:20", "、", "．", "　", "\u00a0", "\u200b", "\u3000", "Ａ", "１", "。", "  ", "\n",
]  # fmt: skip
_TEXT = st.lists(st.one_of(st.sampled_from(_NOISE), st.text(max_size=3)), max_size=16).map("".join)
_LINE = _TEXT.map(lambda t: t.replace("\n", ""))


@given(_LINE)
@settings(max_examples=1500)
def test_page_counters_are_found_where_finditer_finds_them(text: str) -> None:
    found = [m.span() for m in counters._counters(text)]
    assert found == [m.span() for m in counters._COUNTER.finditer(text)]


@given(_LINE)
@settings(max_examples=1000)
def test_a_line_with_a_counter_may_count(text: str) -> None:
    if counters._COUNTER.search(text):
        assert counters._may_count(text)


@given(_LINE)
@settings(max_examples=1000)
def test_case_blind_chrome_tests_are_ruled_out_only_where_they_find_nothing(text: str) -> None:
    if chrome._LABELLED.search(text):
        assert chrome._LABELLED_HINT.search(text)
    if chrome._CONTACT.search(text):
        assert chrome._CONTACT_HINT.search(text)


def test_ignorecase_folds_nothing_else_onto_the_hint_letters() -> None:
    everything = "".join(chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp < 0xE000)
    for letter in "acmpqt":
        assert set(re.findall(letter, everything, re.I)) == {letter, letter.upper()}


@given(_LINE)
@settings(max_examples=1000)
def test_dates_and_chunk_markers_start_as_their_gates_say(text: str) -> None:
    if chrome._DATE_LINE.match(text):
        assert text[:1] in chrome._DATE_STARTS or text[:1].isdigit()
    if chunks._MARKER.match(text):
        assert text[:1].isdigit() or text[:1].isspace()


@given(_TEXT)
def test_spurious_commas_go_as_findall_and_sub_take_them(text: str) -> None:
    found = punctuation._SPURIOUS.findall(text)
    got, removed = punctuation.drop_spurious_commas(text)
    assert got == punctuation._SPURIOUS.sub("", text)
    assert [r.text for r in removed] == found


@given(_TEXT, st.lists(st.tuples(st.integers(0, 60), st.integers(0, 6)), max_size=5))
def test_after_cuts_tidying_is_folding(text: str, cuts: list[tuple[int, int]]) -> None:
    folded = spaces.fold_width_and_spaces(text)
    for start, length in cuts:  # what the character rules do to folded text: cut spans out
        folded = folded[:start] + folded[start + length :]
    assert spaces.tidy_spaces(folded) == spaces.fold_width_and_spaces(folded)


@given(_TEXT)
def test_variant_runs_are_the_runs_of_variants(text: str) -> None:
    plain = re.compile(spaces._VARIANT + "+")
    assert [m.span() for m in spaces._VARIANTS.finditer(text)] == [m.span() for m in plain.finditer(text)]
