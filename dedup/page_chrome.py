"""Blocks of a page that are site chrome by general signals, removed from the tree before the
extractor reads it: tables of links, and copyright or disclaimer notices.

trafilatura judges `<div>`s and lists by their link density but prints a data table whole, so a
grid of links (a province or channel switcher) would come out as text. A notice is recognised by
its heading (`版权声明：`, `反侵权公告：`, `免责声明`…): the block that starts with such a heading
goes with everything in it. No rule here names a site.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

LINK_TABLE_SHARE = 0.5
LINK_LIST_LINKS = 4
LINK_LIST_SHARE = 0.6
METADATA_MAX_CHARS = 80
NOTICE_LABEL_CHARS = 24
NOTICE_MAX_CHARS = 1200
NOTICE_HEAD_CHARS = 40

_WORDLIKE = re.compile(r"[^\W_]")
_LINK_TEXT = etree.XPath(".//a//text()")
_LINKY_BLOCKS = etree.XPath(
    f"//*[self::div or self::p or self::ul or self::ol or self::dl or self::td or self::section]"
    f"[count(.//a[@href]) >= {LINK_LIST_LINKS}]"
)
_SHORT_BLOCKS = etree.XPath(
    "//*[self::div or self::p or self::td or self::span or self::li]"
    f"[string-length(normalize-space(.)) <= {METADATA_MAX_CHARS}]"
)
_SENTENCE_END = re.compile("[。！？!?]")
_METADATA_FIELD = re.compile(
    r"(?:来源|作者|编辑|责任编辑|记者|发布时间|发表时间|发布日期|更新时间|点击|浏览|阅读)\s*[:：]"
    r"|\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?\s*\d{1,2}:\d{2}"
)
_NOTICE_LABEL = re.compile(
    r"^\W*\w{0,12}(?:版权|免责|侵权|著作权)\w{0,8}(?:声明|公告|说明|须知)\s*[:：]?\W*$"
    r"|^\W*(?:copyright|版权所有)\b",
    re.I,
)
# All text nodes, filtered in Python: an XPath `contains(...) or ...` over them costs 4x more.
_TEXT_NODES = etree.XPath("//text()")
_NOTICE_WORD = re.compile("版权|免责|侵权|著作权|[Cc]opyright|COPYRIGHT")


def drop_chrome(tree: HtmlElement) -> None:
    """Remove tables of links, link lists, metadata lines and copyright notices from `tree`
    (in place)."""
    for table in [t for t in tree.iter("table") if is_link_table(t)]:
        _drop(table)
    for block in link_lists(tree):
        _drop(block)
    for block in [b for b in _SHORT_BLOCKS(tree) if is_metadata_block(b)]:
        _drop(block)
    for notice in notice_blocks(tree):
        _drop(notice)


def link_lists(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost blocks of at least LINK_LIST_LINKS links whose text is mostly link text
    (a blogroll, a related-articles list, a row of channel links)."""
    found: list[HtmlElement] = []
    for block in _LINKY_BLOCKS(tree):
        if any(f in block.iterancestors() for f in found) or not _mostly_links(block):
            continue
        found = [f for f in found if block not in f.iterancestors()] + [block]
    return found


def _mostly_links(block: HtmlElement) -> bool:
    total = _words(block.text_content())
    linked = _words("".join(_LINK_TEXT(block)))
    return total > 0 and linked >= LINK_LIST_SHARE * total


def is_metadata_block(block: HtmlElement) -> bool:
    """A short block of publication fields and nothing else: `2022.01.20 16:31 来源：某报`,
    `作者：某 编辑：某` (two fields at least, no sentence)."""
    text = " ".join(block.text_content().split())
    if len(text) > METADATA_MAX_CHARS or _SENTENCE_END.search(text):
        return False
    return len(_METADATA_FIELD.findall(text)) >= 2


def is_link_table(table: HtmlElement) -> bool:
    """A table whose text is mostly link text: navigation laid out as a grid."""
    total = _words("".join(table.itertext()))
    linked = _words("".join(_LINK_TEXT(table)))
    return total > 0 and linked >= LINK_TABLE_SHARE * total


def notice_blocks(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost blocks that start with a copyright/disclaimer heading and hold little else."""
    blocks: list[HtmlElement] = []
    for label in _notice_labels(tree):
        block = _outermost_starting_with(label)
        if not any(b is block or block in b.iterancestors() for b in blocks):
            blocks.append(block)
    return blocks


def _notice_labels(tree: HtmlElement) -> list[HtmlElement]:
    """Elements whose whole (short) text is a notice heading, found from the text nodes that
    name a notice."""
    labels = []
    for node in (n for n in _TEXT_NODES(tree) if _NOTICE_WORD.search(n)):
        element = node.getparent()
        if element is not None and node.is_tail:
            element = element.getparent()
        if element is None or element.tag in ("body", "html"):
            continue
        text = element.text_content()
        if len(text) <= NOTICE_LABEL_CHARS and _NOTICE_LABEL.match(text.strip()):
            labels.append(element)
    return labels


def _outermost_starting_with(label: HtmlElement) -> HtmlElement:
    """Climb from `label` while the ancestor's text still begins with it and stays notice-sized."""
    block, head = label, label.text_content().strip()
    for parent in label.iterancestors():
        if parent.tag in ("body", "html"):
            break
        text = parent.text_content().strip()
        if len(text) > NOTICE_MAX_CHARS or head not in text[: len(head) + NOTICE_HEAD_CHARS]:
            break
        block = parent
    return block


def _drop(element: HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()  # keeps the tail: the text after the block is not part of it


def _words(text: str) -> int:
    return len(_WORDLIKE.findall(text))
