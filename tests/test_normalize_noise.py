"""The noise kinds the demo export still carried, each removed by a rule of its shape (words and
strings here differ from the fixture web's), with its reason; and the catalogue that lists them."""

from __future__ import annotations

import re

import pytest

from dedup.normalize import normalize_text, reasons
from dedup.normalize.catalogue import BUTTON_WORDS, MARKERS, noise_markers
from dedup.normalize.chrome import cut_button_runs, cut_upload_prefix, drop_header_dates, is_site_chrome
from dedup.normalize.chunks import join_page_chunks
from dedup.normalize.config import DEFAULT_NORM
from dedup.normalize.counters import drop_page_counters, is_pager
from dedup.normalize.pinyin import drop_pinyin_annotations
from dedup.normalize.spam import is_spam_line
from dedup.normalize.tails import drop_trailing_links

SENTENCE = "各级党委要切实担负起主体责任，把各项工作抓紧抓实，确保取得实效。"
LONG = SENTENCE * 6


def lines(*texts: str) -> list[tuple[str, str]]:
    return [(t, t) for t in texts]


def texts(kept: list[tuple[str, str]]) -> list[str]:
    return [s for s, _ in kept]


@pytest.mark.parametrize(
    ("line", "kept", "cut"),
    [
        ("分享 收藏 举报3、" + SENTENCE, "3、" + SENTENCE, "分享 收藏 举报"),
        ("【打印本页】【关闭窗口】" + SENTENCE, SENTENCE, "【打印本页】【关闭窗口】"),
        (SENTENCE + " 上一篇 下一篇", SENTENCE, " 上一篇 下一篇"),
        ("下载量比去年增长三成，" + SENTENCE, "下载量比去年增长三成，" + SENTENCE, None),  # one word, no row
        ("中 小 学校要" + SENTENCE, "中 小 学校要" + SENTENCE, None),  # one-character words are too like text
        ("返回 下载", "返回 下载", None),  # a whole row is the chrome rule's, not a glued one
    ],
)
def test_button_rows_glued_to_text_are_cut(line: str, kept: str, cut: str | None) -> None:
    out, removed = cut_button_runs(lines(line))
    assert texts(out) == [kept]
    assert [(r.reason, r.text) for r in removed] == ([(reasons.SITE_CHROME, cut)] if cut else [])


def test_a_glued_button_row_frees_the_page_chunks_to_be_joined() -> None:
    first, second = "1、" + LONG[:-1] + "要坚持", "2、以人民为中心。" + LONG
    text = normalize_text(f"{first}\n分享 下载 举报{second}", "doc").display
    assert text == LONG[:-1] + "要坚持以人民为中心。" + LONG
    assert noise_markers(text) == []


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("更多推荐您的位置：首页 > 文章中心", True),
        ("还剩5页未读，继续阅读", True),
        ("剩余12页未读", True),
        ("会议指出，剩余3页的材料要在会后补发给各单位，请各单位认真学习并抓好落实。", False),
    ],
)
def test_breadcrumbs_behind_buttons_and_withheld_notices_are_chrome(line: str, chrome: bool) -> None:
    assert is_site_chrome(line, DEFAULT_NORM) is chrome


@pytest.mark.parametrize(
    ("line", "pager"),
    [
        ("1 2 3 4 下一页", True),
        ("上一页 4 5 6", True),
        ("1 2", True),
        ("3 5 7", False),
        ("2019 2020", False),
        ("1", False),
        ("1 2 项工作", False),
    ],
)
def test_page_links_shown_as_text(line: str, pager: bool) -> None:
    assert is_pager(line) is pager


def test_page_numbers_one_per_line_go_and_a_lone_number_stays() -> None:
    out, removed = drop_page_counters(lines(SENTENCE, "1", "2", "3", SENTENCE, "7", SENTENCE))
    assert texts(out) == [SENTENCE, SENTENCE, "7", SENTENCE]
    assert [r.text for r in removed] == ["1", "2", "3"]
    assert {r.reason for r in removed} == {reasons.PAGE_COUNTER}


@pytest.mark.parametrize(
    ("line", "spam"),
    [
        ("最新电影,免费下载,高清视频,在线观看大全", True),
        ("热门综艺 | 电视剧大全 | 午夜影院 | 福利视频", True),
        ("加强网站、视频、直播阵地管理", False),  # three items: a heading, not a keyword list
        ("首页 新闻 视频 专题 关于我们", False),  # a menu: one item of five
        ("我们要用好网站、视频、直播、微信等平台，讲好身边故事。", False),
    ],
)
def test_keyword_lists_of_video_site_words_are_spam(line: str, spam: bool) -> None:
    assert is_spam_line(line) is spam


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        ("推进学校建设？shè)J成效显著", "推进学校建设成效显著", ["？shè)J"]),
        ("提高教学质量?zhì)量", "提高教学质量量", ["?zhì)"]),
        ("今年的成绩如何？我们要继续努力", "今年的成绩如何？我们要继续努力", []),
        ("Is it ok?(yes) fine", "Is it ok?(yes) fine", []),
    ],
)
def test_pinyin_garbles_whose_bracket_was_lost_to_a_question_mark(
    text: str, expected: str, removed: list[str]
) -> None:
    out, found = drop_pinyin_annotations(text)
    assert out == expected
    assert [r.text for r in found] == removed


def test_a_lone_page_sized_first_chunk_loses_its_number_and_a_short_numbered_line_keeps_it() -> None:
    page = SENTENCE * 10
    out, removed = join_page_chunks(lines("1、" + page), DEFAULT_NORM)
    assert texts(out) == [page] and [r.text for r in removed] == ["1、"]
    short = lines("1、加强组织领导。", SENTENCE)
    assert join_page_chunks(short, DEFAULT_NORM) == (short, [])


def test_a_chunk_number_glued_inside_a_line_does_not_break_the_run() -> None:
    first = "1、" + LONG + "要坚持以人民为2、中心，" + LONG[:-1] + "推进"
    out, removed = join_page_chunks(lines(first, "3、高质量发展。" + LONG), DEFAULT_NORM)
    assert texts(out) == [first[2:] + "高质量发展。" + LONG]
    assert [r.text for r in removed] == ["1、", "3、"]


def test_related_titles_after_the_last_sentence_go() -> None:
    doc = lines(SENTENCE, LONG, "全县教育工作会议圆满结束", "关于做好春季开学工作的通知")
    out, removed = drop_trailing_links(doc, truncated=False)
    assert texts(out) == [SENTENCE, LONG]
    assert [r.text for r in removed] == ["全县教育工作会议圆满结束", "关于做好春季开学工作的通知"]
    assert {r.reason for r in removed} == {reasons.TRAILING_LINKS}


def test_a_run_glued_after_the_last_sentence_goes_unless_the_text_may_be_cut_short() -> None:
    glued = lines(SENTENCE, LONG + "全县教育工作会议圆满结束教育工作全县党建质量")
    out, removed = drop_trailing_links(glued, truncated=False)
    assert texts(out) == [SENTENCE, LONG]
    assert [r.text for r in removed] == ["全县教育工作会议圆满结束教育工作全县党建质量"]
    assert drop_trailing_links(glued, truncated=True) == (glued, [])
    ends_in_a_clause = lines(SENTENCE, LONG + "会议要求，各单位要抓好落实")
    assert drop_trailing_links(ends_in_a_clause, truncated=False) == (ends_in_a_clause, [])
    slogans = lines(SENTENCE, "让我们携手并进", "共创美好未来")
    assert drop_trailing_links(slogans, truncated=False) == (slogans, [])


def test_a_date_alone_on_a_line_near_the_top_is_the_byline() -> None:
    doc = lines("李明", "2019-03-16 10:21", SENTENCE, *[SENTENCE] * 8, "2019年3月16日")
    out, removed = drop_header_dates(doc, DEFAULT_NORM)
    assert [r.text for r in removed] == ["2019-03-16 10:21"]
    assert texts(out)[-1] == "2019年3月16日"  # a signature date at the end stays


def test_the_header_is_counted_in_the_kept_lines_so_no_date_is_moved_up_into_it() -> None:
    # dropping the dates moves the ones below up into the header: dropped in the same pass
    doc = lines(*[SENTENCE] * 7, *["2019年3月16日"] * 5, SENTENCE, "2019年3月17日")
    out, removed = drop_header_dates(doc, DEFAULT_NORM)
    assert len(removed) == 5
    assert texts(out) == [SENTENCE] * 8 + ["2019年3月17日"]
    assert drop_header_dates(out, DEFAULT_NORM)[1] == []


def test_the_catalogue_markers_compile_name_a_reason_and_find_nothing_in_clean_text() -> None:
    assert {m.reason for m in MARKERS} <= set(reasons.ALL)
    assert len({m.name for m in MARKERS}) == len(MARKERS)
    for marker in MARKERS:
        re.compile(marker.pattern)
    clean = normalize_text("\n".join([SENTENCE, LONG, "同志们，让我们共同努力！"]), "doc").display
    assert noise_markers(clean) == []


def test_the_chrome_rule_reads_its_words_from_the_catalogue() -> None:
    assert "返回" in BUTTON_WORDS and is_site_chrome("返回 举报", DEFAULT_NORM)
    assert {"下载完整文档", "尾页"} <= BUTTON_WORDS


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("市长在全区工作会议上的讲话.docx上传人:李** 文档编号:5512 上传时间:2021-03-04 格式:DOCX 页数:7 "
         "大小:41.5KB" + SENTENCE, SENTENCE),
        (".pdf上传者：张* 页数：2 文件大小：1.2MB 返回 下载" + SENTENCE, "返回 下载" + SENTENCE),
        ("格式:PDF 页数:12 大小:2.1MB" + SENTENCE, SENTENCE),  # no 上传 or 文档 among the fields
        ("格式：标准格式。" + SENTENCE, "格式：标准格式。" + SENTENCE),  # one field is text, not a row
        # fields, but none of an upload: a meeting notice's first line stays
        ("时间：上午九时 地点：大会堂。" + SENTENCE, "时间：上午九时 地点：大会堂。" + SENTENCE),
    ],
)
def test_upload_metadata_glued_in_front_of_the_text_is_cut(line: str, kept: str) -> None:
    out, removed = cut_upload_prefix(lines(line))
    assert texts(out) == [kept]
    assert all(r.reason == reasons.SITE_CHROME for r in removed)


def test_a_doc_page_glued_into_one_line_keeps_only_its_text() -> None:
    glued = ("会议讲话.doc上传人:王*** 文档编号:71419740 上传时间:2018-06-09 格式:DOC 页数:3 大小:28.50KB"
             "返回 下载 相关 举报1、" + LONG)
    normalized = normalize_text(glued, "x")
    assert normalized.display.removeprefix("1、").startswith(SENTENCE)  # a lone 1、 is the chunk rule's
    assert noise_markers(normalized.display) == []
