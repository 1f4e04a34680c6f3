"""The markup the real target sites write, for the fixture web's pages.

- meipian-style articles: the body in the rich-text editor's blocks (`<p class="ql-block">`,
  paragraphs written as `<h5 class="ql-block">` headings, styled `<span>`s, `<br>` spacer blocks),
  in text boxes clipped with `overflow: hidden` behind a "read more" fold, between image boxes;
  then likes, a share bar, comments and recommended articles.
- doc-sharing pages: each page of the document shown as sheets of a viewer, cut at a fixed
  number of characters (mid-sentence, as a converted document's pages are), each sheet with its
  own footer (`第 k 页`) and a toolbar of download/collect/report buttons.
- county government pages: laid out in nested tables (banner row, navigation row, a sidebar
  column of links, the article in a cell of an inner table with a title row, an info row and a
  print/close row), the body as `<p>` or as `<br>`-separated lines in one cell (older CMSs).

`CHROME` lists the strings this module injects around the text: none may reach extracted text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

SHEET_CHARS = 420
MEIPIAN_CHROME = ("美篇", "阅读 3241", "点赞 52", "分享到：", "写评论", "推荐阅读", "展开全文", "网友甲")
SHEET_CHROME = ("下载文档", "加入收藏", "侵权举报")
GOV_CHROME = (
    "网站地图",
    "联系我们",
    "设为首页",
    "您现在的位置",
    "信息来源：县政府办公室",
    "【字体：大 中 小】",
)
CHROME = MEIPIAN_CHROME + SHEET_CHROME + GOV_CHROME

_COLORS = ("rgb(237, 35, 8)", "rgb(57, 181, 74)", "rgb(1, 1, 1)", "rgb(176, 79, 187)")


def meipian_article(title: str, author: str, published: date, text: str, others: Sequence[str]) -> str:
    """A whole meipian-style article page (UTF-8) for `text` (one paragraph a line)."""
    lines = [line for line in text.split("\n") if line.strip()]
    shown = max(1, len(lines) * 2 // 5)  # above the fold; the rest sits in clipped boxes
    starts = [0, *range(shown, len(lines), 3)]
    ends = [*starts[1:], len(lines)]
    boxes = [_meipian_box(start, lines[start:end]) for start, end in zip(starts, ends, strict=True)]
    recommended = "".join(f'<li><a href="/news/rec/{i}.html">{_e(t)}</a></li>' for i, t in enumerate(others))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta property="article:published_time" content="{published.isoformat()}T08:00:00+08:00">'
        f'<meta name="viewport" content="width=device-width"><title>{_e(title)} - 美篇</title></head><body>'
        '<div class="mp-header"><a class="logo" href="/">美篇</a><a href="/app">下载美篇APP</a></div>'
        f'<div class="mp-article"><h1 class="mp-title">{_e(title)}</h1>'
        f'<div class="mp-meta"><a class="mp-author" href="/u/1">{_e(author)}</a>'
        f'<span class="mp-time">{published.isoformat()}</span><span class="mp-read">阅读 3241</span></div>'
        f'<div class="mp-article-content">{"".join(boxes)}</div>'
        '<div class="mp-fold"><a href="#">展开全文</a></div>'
        '<div class="mp-actions"><span>点赞 52</span> <span>分享到：微信 朋友圈 微博</span> <a>举报</a></div>'
        '<div class="comments"><h3>评论 2</h3><div class="comment-item"><a class="nick">网友甲</a>'
        "<p>写得真好，学习了！</p></div><div class='comment-input'>写评论...</div></div>"
        f'<div class="mp-recommend"><h3>推荐阅读</h3><ul>{recommended}</ul></div></div>'
        '<div class="mp-footer">© 美篇 京ICP备15000000号</div></body></html>'
    )


def _meipian_box(first: int, lines: Sequence[str]) -> str:
    """An image box and a text box of editor blocks, clipped unless it is the first."""
    blocks = "".join(_ql_block(first + k, line) for k, line in enumerate(lines))
    image = f'<div class="img-box"><img src="/img/{first}.jpg"><div class="img-desc"></div></div>'
    style = "overflow: hidden; max-height: 420px;" if first else "position: relative;"
    return f'{image}<div class="text-box" style="{style}"><div class="text ql-editor">{blocks}</div></div>'


def _ql_block(index: int, line: str) -> str:
    """An editor block: a `<h5>` heading holding a paragraph, a styled `<p>`, or bold spans."""
    color = _COLORS[index % len(_COLORS)]
    kind = index % 3
    if kind == 0:
        spacer = '<p class="ql-block"><br></p>'
        return f'<h5 class="ql-block"><span style="color: {color};">{_e(line)}</span></h5>{spacer}'
    if kind == 1:
        return f'<p class="ql-block ql-indent-1"><span style="font-size: 17px;">{_e(line)}</span></p>'
    head, rest = line[: len(line) // 3], line[len(line) // 3 :]
    return (
        f'<h5 class="ql-block ql-align-justify"><span style="color: {color};"><strong>{_e(head)}</strong>'
        f'</span><span style="font-size: 18px;">{_e(rest)}</span></h5>'
    )


def doc_sheets(text: str, first_sheet: int, total_sheets: int, pay_href: str) -> str:
    """`text` shown as viewer sheets of SHEET_CHARS characters each, with per-sheet chrome; a
    viewer's text layer keeps the document's lines, so a line break stays one inside a sheet."""
    sheets = [text[i : i + SHEET_CHARS] for i in range(0, len(text), SHEET_CHARS)] or [""]
    return "".join(_sheet(first_sheet + k, total_sheets, body, pay_href) for k, body in enumerate(sheets))


def sheet_count(text: str) -> int:
    """How many viewer sheets `text` fills."""
    return max(1, -(-len(text) // SHEET_CHARS))


def _sheet(number: int, total: int, body: str, pay_href: str) -> str:
    return (
        f'<div class="doc-sheet" data-page="{number}"><div class="sheet-body">{_lines(body)}</div>'
        f'<div class="sheet-foot">第 {number} 页 共 {total} 页</div></div>'
        f'<div class="sheet-tools"><a href="{pay_href}">下载文档</a> <a href="#">加入收藏</a> '
        '<a href="#">侵权举报</a></div>'
    )


def _lines(body: str) -> str:
    return "".join(f"<p>{_e(line)}</p>" for line in body.split("\n") if line.strip())


def gov_table_page(title: str, nav: Sequence[str], crumbs: Sequence[str], body: str, side: str) -> str:
    """A county government page laid out in nested tables, as older county CMSs write it."""
    nav_cells = "".join(f'<td align="center"><a href="#">{_e(n)}</a></td>' for n in nav)
    crumb = " &gt; ".join(_e(c) for c in crumbs)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
        f"<title>{_e(title)}-某某县人民政府</title></head><body>"
        '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">'
        '<tr><td colspan="2"><table width="100%"><tr>'
        '<td><img src="/gov/banner.jpg" alt="某某县人民政府"></td><td align="right">'
        '<a href="#">设为首页</a> | <a href="#">网站地图</a> | <a href="#">联系我们</a></td>'
        "</tr></table></td></tr>"
        f'<tr><td colspan="2"><table width="100%" class="nav"><tr>{nav_cells}</tr></table></td></tr>'
        f'<tr><td colspan="2" class="crumb">您现在的位置：{crumb}</td></tr>'
        f'<tr><td width="230" valign="top"><table width="100%">{side}</table></td>'
        f'<td width="770" valign="top">{body}</td></tr>'
        '<tr><td colspan="2" align="center" class="foot">主办：某某县人民政府办公室 '
        "网站标识码：3604210001 赣ICP备05004141号 赣公网安备36042102000123号</td></tr>"
        "</table></body></html>"
    )


def gov_article(title: str, published: date, text: str, number: int) -> str:
    """The article cell of a county page: an inner table with title, info, body and print rows;
    the body as `<p>` (even numbers) or as `<br>`-separated lines (odd, older CMSs)."""
    lines = [_e(line) for line in text.split("\n") if line.strip()]
    if number % 2:
        content = (
            "<font size='3'>" + "".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{line}<br>" for line in lines) + "</font>"
        )
    else:
        content = "".join(f'<p style="text-indent: 2em;">{line}</p>' for line in lines)
    return (
        '<table width="96%" align="center" cellpadding="0" cellspacing="0">'
        f'<tr><td align="center" class="title"><b>{_e(title)}</b></td></tr>'
        f'<tr><td align="center" class="info">发布日期：{published.isoformat()} 信息来源：县政府办公室 '
        "【字体：大 中 小】</td></tr>"
        f'<tr><td class="content"><div class="TRS_Editor">{content}</div></td></tr>'
        '<tr><td align="right">【打印本页】 【关闭窗口】</td></tr></table>'
    )


def gov_side(items: Sequence[str]) -> str:
    """The sidebar column: one row of links a section."""
    return "".join(f'<tr><td class="side"><a href="#">{_e(item)}</a></td></tr>' for item in items)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
