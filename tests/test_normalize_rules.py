"""Each normalization rule on small inputs of its own (the kinds of noise, not the seeds' strings)."""

from __future__ import annotations

import dataclasses

import pytest

from dedup.errors import ConfigError, Rejected
from dedup.normalize import DEFAULT_NORM, NormConfig, join_pages, normalize, normalize_text, reasons
from dedup.normalize.chrome import (
    drop_bylines,
    drop_header_before_breadcrumb,
    drop_site_chrome,
    is_site_chrome,
)
from dedup.normalize.chunks import join_page_chunks
from dedup.normalize.counters import drop_page_counters
from dedup.normalize.key import fold_char, key_text, match_key
from dedup.normalize.markup import strip_html_remnants
from dedup.normalize.pinyin import drop_pinyin_annotations
from dedup.normalize.punctuation import drop_spurious_commas
from dedup.normalize.repeats import (
    clean_title,
    drop_repeated_paragraphs,
    drop_repeated_summary,
    drop_repeated_title,
)
from dedup.normalize.script import to_simplified
from dedup.normalize.spaces import fold_width_and_spaces
from dedup.normalize.spam import is_spam_line
from dedup.normalize.tags import drop_tag_cloud
from dedup.normalize.truncation import looks_truncated
from dedup.records import Extraction

BODY = "各位代表：我们要认真学习贯彻会议精神，切实把各项工作做实做细，推动事业高质量发展。"


def lines(*texts: str) -> list[tuple[str, str]]:
    return [(t, t) for t in texts]


def texts(kept: list[tuple[str, str]]) -> list[str]:
    return [s for s, _ in kept]


# --- character-level rules -------------------------------------------------------------------


def test_html_remnants_go_and_block_tags_break_lines() -> None:
    text, removed = strip_html_remnants("<h2>标题</h2><p>第一段<b>加粗</b><br>第二段&nbsp;&amp;</p>")
    assert text.split("\n") == ["", "标题", "", "第一段加粗", "第二段\xa0&", ""]
    assert {r.reason for r in removed} == {reasons.HTML_REMNANT} and len(removed) == 7


def test_html_remnants_escaped_twice_and_scripts() -> None:
    text, _ = strip_html_remnants("&amp;lt;font color=red&amp;gt;红字&lt;/font&gt;<script>var a=1;</script>")
    assert text == "红字"


def test_html_remnants_leave_comparisons_and_unknown_tags() -> None:
    assert strip_html_remnants("若 a<b 且 b>c，<自定义>")[0] == "若 a<b 且 b>c，<自定义>"


def test_pinyin_annotations_after_a_character_go() -> None:
    text, removed = drop_pinyin_annotations("當(dāng)前任務(wù)、長（zhǎng）官")
    assert text == "當前任務、長官"
    assert [r.text for r in removed] == ["(dāng)", "(wù)", "（zhǎng）"]


@pytest.mark.parametrize("kept", ["GDP(gdp)增长", "附件(一)", "世界卫生组织(WHO)", "(ā) 开头", "x(dāng)"])
def test_brackets_that_are_not_pinyin_garbles_stay(kept: str) -> None:
    assert drop_pinyin_annotations(kept)[0] == kept


@pytest.mark.parametrize(
    ("noisy", "clean"),
    [
        ("全国,、全省", "全国、全省"),
        ("精神,,全面", "精神,全面"),
        ("主持,。", "主持。"),
        ("好，；再", "好；再"),
    ],
)
def test_spurious_commas(noisy: str, clean: str) -> None:
    assert drop_spurious_commas(noisy)[0] == clean


def test_ordinary_commas_stay() -> None:
    assert drop_spurious_commas("一是学习，二是落实, 三是 1,000 元")[0] == "一是学习，二是落实, 三是 1,000 元"


def test_width_and_space_folding() -> None:
    noisy = "ＡＢＣ１２３\u3000会议\xa0\xa0精神\u200b。\r\n\r\n  下一段  "
    assert fold_width_and_spaces(noisy) == "ABC123 会议 精神。\n下一段"


def test_traditional_to_simplified_keeps_length() -> None:
    original = "會議講話，學習貫徹。乾淨的發展\n第二行：臺灣、著名"
    simplified = to_simplified(original)
    assert len(simplified) == len(original)
    assert simplified.startswith("会议讲话，学习贯彻。")
    assert to_simplified("会议讲话") == "会议讲话"


# --- line rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spam",
    [
        "王牌对王牌第一季综艺,黄视频在线观看网站,世界一级毛片,成人黄色免费看",
        "澳门博彩 百家乐 真人荷官 在线娱乐城",
        "日韩无码av,国产精品视频,免费观看",
    ],
)
def test_spam_lines(spam: str) -> None:
    assert is_spam_line(spam)


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        "教育,工作,全旗,质量",  # keyword list without spam vocabulary
        "要依法严厉打击色情、赌博等违法犯罪活动，净化社会风气。",  # a sentence about spam
        "在线观看,高清,综艺",  # only weak terms
    ],
)
def test_not_spam(text: str) -> None:
    assert not is_spam_line(text)


@pytest.mark.parametrize(
    "chrome",
    [
        "当前位置：首页 > 新闻中心 > 正文",
        "首页 > 范文 > 讲话稿",
        "上传人：张** 文档编号：998877 上传时间：2020-01-01 格式：DOCX 页数：4 大小：20KB",
        "作者：办公室 来源：本站 发布时间：2020-05-01 浏览次数：99",
        "返回 下载 相关 举报",
        "点击查看更多>>",
        "展开阅读全文",
        "分享到： 微信 微博 QQ空间",
        "Copyright © 2008-2020 某某网 版权所有 粤ICP备12345678号-1",
        "京公网安备 11010502030245号",
        "免责声明：本文仅供学习参考，如有侵权请联系删除。",
        "《某讲话》由会员分享，可在线阅读，更多相关请在本站上搜索。",
        "客服QQ：12345678 客服电话：400-800-1234",
        "某某讲话稿 本文简介：",
        "本文关键词：教育，会议，讲话",
        "链接地址：http://www.example.com/a/1.html",
        "网站：某某网 | 时间：2019-01-01 | 移动端：某某讲话",
    ],
)
def test_site_chrome(chrome: str) -> None:
    assert is_site_chrome(chrome, DEFAULT_NORM)


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        "要加强版权保护工作，依法打击侵权盗版行为，维护创作者的合法权益，营造良好环境。",
        "时间：2019年3月16日 地点：齐贤楼",
        "一、2019年主要工作回顾",
    ],
)
def test_not_site_chrome(text: str) -> None:
    assert not is_site_chrome(text, DEFAULT_NORM)


def test_site_chrome_removal_is_recorded() -> None:
    kept, removed = drop_site_chrome(lines(BODY, "返回顶部", BODY + "再"), DEFAULT_NORM)
    assert texts(kept) == [BODY, BODY + "再"]
    assert [(r.reason, r.text) for r in removed] == [(reasons.SITE_CHROME, "返回顶部")]


def test_header_lines_above_a_breadcrumb_go() -> None:
    kept, removed = drop_header_before_breadcrumb(
        lines("某某文库", "荟聚奇文、博采众长", "当前位置：首页 > 讲话", BODY), DEFAULT_NORM
    )
    assert texts(kept) == ["当前位置：首页 > 讲话", BODY]
    assert len(removed) == 2


def test_no_breadcrumb_no_header_removal() -> None:
    assert drop_header_before_breadcrumb(lines("短标题", BODY), DEFAULT_NORM)[1] == []


def test_bylines() -> None:
    kept, removed = drop_bylines(lines("张三", BODY, "某某网"), ("张三", "某某网"))
    assert texts(kept) == [BODY] and len(removed) == 2


@pytest.mark.parametrize(
    ("line", "left"),
    [
        ("第 3 页 共 8 页", ""),
        ("第2页 / 共6页", ""),
        ("共6页，第1页", ""),
        ("- 12 -", ""),
        ("3/8", ""),
        ("Page 2 of 5", ""),
        ("某某讲话.docx_第3页", ""),
        ("谢谢大家！第 6 页 共 6 页", "谢谢大家！"),
    ],
)
def test_page_counters(line: str, left: str) -> None:
    kept, removed = drop_page_counters(lines(line))
    assert texts(kept) == ([left] if left else [])
    assert removed and all(r.reason == reasons.PAGE_COUNTER for r in removed)


def test_page_counter_lookalikes_stay() -> None:
    kept, removed = drop_page_counters(lines("2019", "第三页的内容很重要", "比分 3-1 领先"))
    assert removed == [] and len(kept) == 3


def test_page_chunks_are_joined_across_the_split() -> None:
    first = "1、" + "会" * 150 + "不忘立"
    second = "2、德树人初心" + "议" * 150 + "。"
    third = "3、新的一页" + "学" * 150
    kept, removed = join_page_chunks(lines(first, second, third), DEFAULT_NORM)
    assert texts(kept) == ["会" * 150 + "不忘立德树人初心" + "议" * 150 + "。", "新的一页" + "学" * 150]
    assert [r.text for r in removed] == ["1、", "2、", "3、"]


def test_enumerated_lists_are_not_page_chunks() -> None:
    items = lines("1、提高认识，明确职责。", "2、加强食堂安全管理。", "3、加强交通安全管理。")
    assert join_page_chunks(items, DEFAULT_NORM) == (items, [])


def test_tag_cloud_at_the_end() -> None:
    kept, removed = drop_tag_cloud(lines(BODY, "教育", "工作", "全旗", "质量"), DEFAULT_NORM)
    assert texts(kept) == [BODY] and [r.reason for r in removed] == [reasons.TAG_CLOUD] * 4


def test_tag_cloud_on_one_line() -> None:
    kept, _ = drop_tag_cloud(lines(BODY, "教育 工作 全旗 质量 安全"), DEFAULT_NORM)
    assert texts(kept) == [BODY]


def test_short_endings_are_not_tag_clouds() -> None:
    ending = lines(BODY, "同志们", "谢谢大家！")
    assert drop_tag_cloud(ending, DEFAULT_NORM)[1] == []
    signed = lines(BODY, "某某局", "2019年3月16日")
    assert drop_tag_cloud(signed, DEFAULT_NORM)[1] == []


def test_repeated_title_lines_and_glued_copies() -> None:
    title = "在全区教育工作会议上的讲话"
    kept, removed = drop_repeated_title(
        lines(title + ".doc", title + title + "同志们：" + BODY, title), title
    )
    assert texts(kept) == ["同志们：" + BODY]
    assert len(removed) == 4


def test_clean_title() -> None:
    assert clean_title("某某讲话范文.doc") == "某某讲话范文"
    assert clean_title("在全市教育工作会议上的讲话 - 某某网") == "在全市教育工作会议上的讲话"
    assert clean_title("讲话_美篇") == "讲话_美篇"  # too short to lose anything


def test_repeated_summary_keeps_the_full_text() -> None:
    full = [BODY, "二是持续改善民生，办好群众急难愁盼的实事。", "三是抓好落实，确保各项任务如期完成。"]
    summary = "各位代表:我们要认真学习贯彻会议精神!切实把各项工作做实做细,推动事业高质量发展 二是持续改"
    kept, removed = drop_repeated_summary(lines(summary, *full), DEFAULT_NORM)
    assert texts(kept) == full
    assert [r.reason for r in removed] == [reasons.REPEATED_SUMMARY]


def test_distinct_paragraphs_are_not_summaries() -> None:
    other = "三是抓好落实，确保各项任务如期完成，向党和人民交上满意答卷。"
    assert drop_repeated_summary(lines(other, BODY), DEFAULT_NORM)[1] == []


def test_repeated_paragraphs_are_kept_once() -> None:
    kept, removed = drop_repeated_paragraphs(lines(BODY, "好", BODY, "好"))
    assert texts(kept) == [BODY, "好", "好"] and len(removed) == 1


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("正文……\n还剩5页未读，继续阅读", True),
        ("正文\n第1页 / 共12页\n展开阅读全文", True),
        ("正文\n第 6 页 共 6 页\n展开阅读全文", False),
        ("正文\n下载后查看完整内容", True),
        ("正文\n点击查看更多", False),
        (BODY, False),
    ],
)
def test_truncation_flag(text: str, truncated: bool) -> None:
    assert looks_truncated(text) is truncated


# --- match key, versions, the pipeline ---------------------------------------------------------


def test_match_key_and_offsets() -> None:
    display = "２０１９年，ＡＢ会议 “定海神针” x"
    key, offsets = match_key(display)
    assert key == "0000年ab会议定海神针x"
    assert [display[i] for i in offsets] == list("２０１９年ＡＢ会议定海神针x")
    assert key_text(display) == key
    assert fold_char("，") == "" and fold_char("９") == "0" and fold_char("Ａ") == "a"


def test_astral_characters_in_the_key() -> None:
    key, offsets = match_key("𠀀😀a")
    assert key == "𠀀a" and offsets == (0, 2)


def test_config_is_frozen_and_versioned() -> None:
    assert DEFAULT_NORM.version == NormConfig().version
    changed = dataclasses.replace(DEFAULT_NORM, tag_cloud_min_lines=4)
    assert changed.version != DEFAULT_NORM.version
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_NORM.min_key_chars = 3  # type: ignore[misc]
    with pytest.raises(ConfigError):
        NormConfig(summary_coverage=0)


def test_normalize_stamps_version_title_and_original() -> None:
    extraction = Extraction("cap1", "http://x/1", "會議講話\n" + BODY, title="會議講話 - 某某網")
    normalized = normalize(extraction)
    assert normalized.source_id == "cap1"
    assert normalized.norm_version == DEFAULT_NORM.version
    assert normalized.title == "会议讲话"
    assert normalized.display == BODY  # the repeated title went
    assert len(normalized.original) == len(normalized.display)


def test_original_keeps_traditional_characters() -> None:
    normalized = normalize_text("會議講話，學習貫徹。" * 5, "s1")
    assert normalized.display.startswith("会议讲话，学习贯彻。")
    assert normalized.original.startswith("會議講話，學習貫徹。")


def test_too_short_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        normalize_text("返回 下载 相关 举报\n第 1 页 共 2 页\n好", "s1")
    assert caught.value.reason == "too_short"


def test_without_simplification() -> None:
    config = NormConfig(to_simplified=False)
    assert normalize_text("會議講話，學習貫徹。" * 5, "s1", config=config).display.startswith("會議")


def test_join_pages_glues_a_word_split_across_pages() -> None:
    pages = [
        Extraction("p1", "http://x/1", "第一页的内容不忘立", title="讲话", extractor="trafilatura"),
        Extraction("p2", "http://x/2", "德树人初心。", title="别的", extractor="density"),
        Extraction("p3", "http://x/3", "第三页。", title="别的"),
    ]
    joined = join_pages(pages)
    assert joined.text == "第一页的内容不忘立德树人初心。\n第三页。"
    assert (joined.title, joined.capture_id) == ("讲话", "p1")
    assert "density" in joined.extractor
    with pytest.raises(Rejected):
        join_pages([])


def test_ten_megabytes_of_one_line_normalize() -> None:
    normalized = normalize_text("當(dāng)前会议精神," * 700_000, "big")
    assert "(dāng)" not in normalized.display and normalized.display.startswith("当前会议精神")
