"""The general signals that keep real pages' chrome out and their body text in, each on a
small page written for it."""

from __future__ import annotations

import lxml.html

from dedup.extract import extract
from dedup.page_chrome import (
    clue_elements,
    is_link_table,
    is_metadata_block,
    link_lists,
    notice_blocks,
    share_bars,
    title_heading,
)
from dedup.page_layout import is_layout_table, readable_tree
from dedup.records import Page

SENTENCE = "会议强调，要坚持以人民为中心的发展思想，扎实推进各项工作落到实处，确保取得实效。"
NAV = "".join(f"<a href='/c{i}.html'>栏目{i}</a> | " for i in range(12))


def _text(html: str) -> str:
    page = Page(capture_id="p", url="https://example.cn/a.html", body=html.encode("utf-8"))
    return extract(page).text


def _page(body: str) -> str:
    return f"<html><head><title>标题</title></head><body>{body}</body></html>"


def test_a_page_laid_out_in_nested_tables_yields_its_article_not_its_navigation() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(6))
    html = _page(
        f"<table><tr><td><table><tr><td>{NAV}</td></tr></table></td></tr>"
        f"<tr><td width=600>{article}</td><td>{NAV}</td></tr>"
        f"<tr><td>{NAV}</td></tr></table>"
    )
    text = _text(html)
    assert all(f"第{i}段" in text for i in range(6))
    assert "栏目3" not in text
    assert "|" not in text


def test_a_data_table_is_not_layout_and_a_table_with_a_paragraph_cell_is() -> None:
    data = lxml.html.fromstring(
        "<table><tr><th>年份</th><th>产值</th></tr><tr><td>2020</td><td>12亿元</td></tr></table>"
    )
    layout = lxml.html.fromstring(f"<table><tr><td>{SENTENCE * 5}</td></tr></table>")
    nested = lxml.html.fromstring("<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>")
    assert not is_layout_table(data)
    assert is_layout_table(layout)
    assert is_layout_table(nested)


def test_text_following_an_ad_box_is_kept_as_a_paragraph() -> None:
    html = _page(
        f"<div><font><p>开头。{SENTENCE * 2}</p><p>第二段{SENTENCE}"
        f"<table><tr><td><iframe src='/ad'></iframe></td></tr></table><!-- ad end -->"
        f"，接着写完这一段。{SENTENCE * 2}</p><p>第三段。{SENTENCE * 2}</p></font></div>"
    )
    text = _text(html)
    assert "接着写完这一段" in text
    assert "第三段" in text


def test_comments_and_scripts_leave_their_tails_in_the_tree() -> None:
    tree = readable_tree(_page(f"<div><p>{SENTENCE}</p><!-- c -->尾巴文字{SENTENCE}</div>"))
    assert tree is not None
    paragraphs = [p.text_content() for p in tree.iter("p")]
    assert any(p.startswith("尾巴文字") for p in paragraphs)


def test_a_one_row_table_is_a_bar_not_data() -> None:
    bar = lxml.html.fromstring(
        "<table><tr><td>2005-04-27 更新</td><td><a href='#c'>发表评论</a></td></tr></table>"
    )
    column = lxml.html.fromstring("<table><tr><td>甲</td></tr><tr><td>乙</td></tr></table>")
    assert is_layout_table(bar)
    assert is_layout_table(column)


def test_a_grid_of_links_is_dropped_and_a_data_table_kept() -> None:
    provinces = "".join(f"<td><a href='/p{i}'>省份{i}</a></td>" for i in range(8))
    figures = "<tr><td>2020年</td><td>产值12亿元</td></tr><tr><td>2021年</td><td>产值15亿元</td></tr>"
    tree = readable_tree(_page(
        f"<table><tr>{provinces}</tr><tr>{provinces}</tr></table>"
        f"<p>{SENTENCE}</p><table>{figures}</table>"
    ))  # fmt: skip
    assert tree is not None
    text = tree.text_content()
    assert "省份3" not in text
    assert "产值15亿元" in text
    assert is_link_table(lxml.html.fromstring(f"<table><tr>{provinces}</tr></table>"))


def test_a_copyright_notice_goes_with_its_whole_block_and_the_article_stays() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    notice = (
        "<div><p><b>反侵权公告：</b></p><p>未经书面许可，擅自转载本报社作品的，将涉嫌侵权。</p>"
        "<p>一、任何单位或个人使用原创内容，必须事先取得书面授权；</p><p>陈律师 0432-12345678</p></div>"
    )
    text = _text(_page(f"<div><div>{article}</div>{notice}</div>"))
    assert all(f"第{i}段" in text for i in range(4))
    assert "书面授权" not in text
    assert "陈律师" not in text
    html = _page(f"<div>{article}{notice}</div>")
    blocks = notice_blocks(clue_elements(lxml.html.fromstring(html)))
    assert [b.text_content()[:5] for b in blocks] == ["反侵权公告"]


def test_inline_text_beside_paragraphs_becomes_a_paragraph() -> None:
    html = _page(
        f"<div><span><p><br><font>简介开头。</font></p></span>"
        f"<font><span>1956年生人，{SENTENCE}</span><span>{SENTENCE}</span></font>"
        f"<p>下一段。{SENTENCE * 2}</p><p>再一段。{SENTENCE * 2}</p></div>"
    )
    assert "1956年生人" in _text(html)


def test_a_text_box_clipped_with_overflow_hidden_is_body_text() -> None:
    boxes = "".join(
        f'<div class="box" style="{"overflow: hidden; " if i else ""}max-height: 300px"><div class="text">'
        f'<h5 class="ql-block"><span style="color: rgb(1, 1, 1);">第{i}段。{SENTENCE}</span></h5>'
        f'<p class="ql-block"><span style="font-size: 17px;">补充{i}。{SENTENCE * 2}</span></p></div></div>'
        for i in range(3)
    )
    text = _text(_page(f'<div class="mp-article-content">{boxes}</div>'))
    assert all(f"第{i}段" in text and f"补充{i}" in text for i in range(3))
    hidden = _text(_page(f'<div>{boxes}<div style="display:none">隐藏的内容{SENTENCE}</div></div>'))
    assert "隐藏的内容" not in hidden


def test_a_list_of_links_is_dropped_but_a_paragraph_with_a_few_links_stays() -> None:
    blogroll = "".join(f"<a href='http://b{i}.example.cn/'>某某的博客{i}</a>[主页]<br>" for i in range(6))
    cited = (
        f"<p>据<a href='/a'>新华社</a>报道，{SENTENCE}<a href='/b'>人民网</a>、<a href='/c'>光明网</a>"
        f"和<a href='/d'>央视网</a>均有转载。{SENTENCE}</p>"
    )
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    text = _text(_page(f"<div>{article}{cited}<p>{blogroll}</p></div>"))
    assert "博客3" not in text
    assert "央视网" in text
    tree = lxml.html.fromstring(_page(f"<div><p>{blogroll}</p></div>{cited}"))
    assert [b.tag for b in link_lists(tree)] == ["div"]


def test_a_short_block_of_publication_fields_is_dropped_but_a_body_line_with_a_time_stays() -> None:
    info = '<div class="content-info"><span>2022.01.20 16:31</span> <span>来源：某某日报客户端</span></div>'
    body_time = "<p>会议于2022年1月20日 9:30 在县政府召开，来源：各乡镇代表。</p>"
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    text = _text(
        _page(
            f'<div class="main-container"><div class="main-content"><h1 class="content-title">标题</h1>'
            f'{info}<div class="content-content">{article}{body_time}</div></div></div>'
        )
    )
    assert "某某日报客户端" not in text
    assert "9:30" in text
    assert is_metadata_block(lxml.html.fromstring(info))
    assert not is_metadata_block(lxml.html.fromstring("<p>来源：某某日报</p>"))  # one field


def test_two_lines_of_one_field_each_are_dropped_together_and_a_lone_one_stays() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    paired = _text(_page(f"<div>{article}<p>来源：某某晨报</p><p>编辑：山石</p></div>"))
    assert "某某晨报" not in paired and "山石" not in paired
    alone = _text(_page(f"<div>{article}<p>来源：某某晨报</p></div>"))
    assert "某某晨报" in alone
    assert is_metadata_block(lxml.html.fromstring("<p>发表时间： 06/02/2022 - 13:48</p>"))


def test_the_headline_repeating_the_title_leaves_the_body_and_another_lone_h1_is_not_it() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    page = "<html><head><title>{title} - 某某新闻网</title></head><body><article>{h1}{article}</article>"
    headline = page.format(
        title="马克龙在莫斯科与普京会面",
        h1='<h1 class="title">马克龙在莫斯科与普京会面</h1>',
        article=article,
    )
    assert "马克龙" not in _text(headline)
    other = page.format(
        title="某某新闻网首页", h1="", article=article + "<h1>一、会议的主要精神</h1>" + article
    )
    assert title_heading(lxml.html.fromstring(headline)) is not None
    assert title_heading(lxml.html.fromstring(other)) is None


def test_a_share_bar_of_any_tag_is_dropped_and_a_long_block_named_share_stays() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    bar = '<p class="num"><em class="common-share-wrap">分享让更多人看到 <i><img src="/s.png"></i></em></p>'
    text = _text(_page(f'<div class="rm_txt_con">{article}{bar}</div>'))
    assert "分享让更多人看到" not in text
    named = _text(_page(f'<div class="shareContent">{article}</div>'))
    assert all(f"第{i}段" in named for i in range(4))
    assert len(share_bars(lxml.html.fromstring(_page(article + bar)))) == 1


def test_a_comments_section_without_class_names_goes_from_its_heading_and_the_action_link_stays() -> None:
    article = "".join(f"<p>第{i}段。{SENTENCE * 2}</p>" for i in range(4))
    comments = "".join(f"<p>网友{i}：写得好，支持一下，{SENTENCE}</p>" for i in range(3))
    section = f"<div><div><b>网友评论（3）</b></div>{comments}</div>"
    text = _text(_page(f"<div>{article}{section}</div>"))
    assert "网友1" not in text
    assert all(f"第{i}段" in text for i in range(4))
    linked = _text(_page(f"<div><a href='#c'>发表评论</a><div>{article}</div></div>"))
    assert all(f"第{i}段" in linked for i in range(4))
