"""Invariants of the normalizer on generated noisy text (hypothesis)."""

from __future__ import annotations

import unicodedata

import opencc
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dedup.errors import Rejected
from dedup.normalize import NormConfig, normalize_text
from dedup.normalize.key import fold_char, match_key
from dedup.records import NormalizedText

CONFIG = NormConfig(min_key_chars=1)
FRAGMENTS = [
    "会议",
    "會議",
    "讲话",
    "講話",
    "学习",
    "學習",
    "当前",
    "當(dāng)前",
    "長(zhǎng)",
    "(huì)",
    "，",
    "。",
    "、",
    "；",
    "：",
    "！",
    "？",
    ",",
    ".",
    ":",
    "?",
    "“",
    "”",
    "《",
    "》",
    "（",
    "）",
    "(",
    ")",
    ",,",
    ",。",
    "<b>",
    "</b>",
    "<p>",
    "</p>",
    "<br>",
    "&nbsp;",
    "&amp;",
    "&lt;b&gt;",
    " ",
    "  ",
    "\u3000",
    "\xa0",
    "\n",
    "\n\n",
    "\t",
    "2019",
    "２０１９",
    "ＡＢ",
    "abc",
    "XX",
    "当前位置：首页 > 新闻\n",
    "第 1 页 共 3 页",
    "第2页",
    "返回 下载 相关 举报\n",
    "1、",
    "2、",
    "3、",
    "\n教育\n工作\n全旗\n质量",
    "本文简介：",
    "ICP备123号",
    "成人黄色,毛片,在线观看\n",
    "展开阅读全文",
    "还剩3页",
    "返回 下载 相关 举报",
    "【打印本页】【关闭窗口】",
    "分享到 微信 微博",
    "区域？qū)W校",
    "？",
    "qū)",
    "剩余1页未读，下载完整文档\n",
    "1 2",
    "\n1\n2\n3\n",
    "王牌对王牌第一季综艺,免费在线观看网站,高清影视大全,最新电视剧下载\n",
    "发布时间：2019-03-16\n",
    "\n2021年5月6日\n",
    "！",
    "。",
    "𠀀",
    "😀",
    "\u200b",
    "\ufffd",
]
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PIECES = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(CJK, min_size=1, max_size=30),
    st.text(min_size=1, max_size=5),
)
TEXTS = st.lists(PIECES, min_size=1, max_size=60).map("".join)
TITLES = st.one_of(st.none(), st.sampled_from(["会议讲话", "會議講話.doc", "在全市会议上的讲话 - 某网"]))
T2S = opencc.OpenCC("t2s")
# 300 keeps the suite fast; the properties also held over 8,000 examples each when hunted longer.
EXAMPLES = 300
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _normalize(text: str, title: str | None = None) -> NormalizedText | None:
    try:
        return normalize_text(text, "doc", title=title, config=CONFIG)
    except Rejected:
        return None


@PROPERTY
@given(TEXTS, TITLES)
# Found by this property: dropping a header date moved the next date up into the header
@example("会议\n2021年5月6日\n会议\n教育\n工作\n全旗\n质量\n2021年5月6日\n\n2021年5月6日\n", None)
# a later rule's cut (the button row) left a line an earlier rule drops (spam)
@example("返回 下载 相关 举报王牌对王牌第一季综艺,免费在线观看网站,高清影视大全,最新电视剧下载\n", None)
# a comma dropped between two spaces left two spaces
@example("会议 , ,", None)
def test_normalizing_the_display_text_again_changes_nothing(text: str, title: str | None) -> None:
    first = _normalize(text, title)
    if first is None:
        return
    again = _normalize(first.display, title)
    assert again is not None
    assert again.display == first.display
    assert again.key == first.key


@PROPERTY
@given(TEXTS)
def test_offset_map_points_at_the_characters_that_made_the_key(text: str) -> None:
    normalized = _normalize(text)
    if normalized is None:
        return
    display, key, offsets = normalized.display, normalized.key, normalized.key_offsets
    assert len(offsets) == len(key)
    assert list(offsets) == sorted(set(offsets))
    assert all(fold_char(display[i]) == k for i, k in zip(offsets, key, strict=True))
    # ...and every character the key keeps is in the map
    assert len(key) == sum(1 for c in display if fold_char(c))


@PROPERTY
@given(TEXTS)
def test_match_key_has_no_whitespace_or_punctuation(text: str) -> None:
    normalized = _normalize(text)
    if normalized is None:
        return
    assert not any(c.isspace() for c in normalized.key)
    assert all(unicodedata.category(c)[0] in "LN" for c in normalized.key)
    assert not any(c.isdigit() and c != "0" for c in normalized.key)


@PROPERTY
@given(TEXTS)
def test_original_is_the_display_text_before_simplification(text: str) -> None:
    normalized = _normalize(text)
    if normalized is None:
        return
    assert len(normalized.original) == len(normalized.display)
    assert T2S.convert(normalized.display) == normalized.display


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_match_key_of_any_text(text: str) -> None:
    key, offsets = match_key(text)
    assert "".join(fold_char(text[i]) for i in offsets) == key
