"""Blocks of a page that are site chrome by general signals, removed from the tree before the
extractor reads it: tables of links, share bars, lists of links, publication-field lines,
copyright or disclaimer notices, comment sections, and the headline (kept as metadata, not body
text). No rule names a site.

trafilatura judges `<div>`s and lists by their link density but prints a data table whole, and
keeps a `<p>` of `<br>`-separated links inside the article's container: a grid or a list of
links (a channel switcher, a blogroll, related articles) is removed here. A line of publication
fields (`2022.01.20 16:31 来源：某报`) is removed as a block, which the line-based normalizer
cannot do safely. A notice is recognised by its heading (`版权声明：`, `反侵权公告：`,
`免责声明`…): the block that starts with such a heading goes with everything in it.

Metadata lines and notices are found from their words: one pass over the text nodes picks the
elements holding a word that can start one, and only those and their ancestors are looked at.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

LINK_TABLE_SHARE = 0.5
LINK_LIST_LINKS = 4
LINK_LIST_SHARE = 0.6
EXACT_SHARE_CHARS = 3000
METADATA_MAX_CHARS = 80
SHARE_BAR_CHARS = 40
TITLE_HEAD_CHARS = 12
NOTICE_LABEL_CHARS = 24
NOTICE_MAX_CHARS = 1200
NOTICE_HEAD_CHARS = 40
COMMENTS_MAX_CHARS = 4000

_WORDLIKE = re.compile(r"[^\W_]")
_LINK_TEXT = etree.XPath(".//a//text()", smart_strings=False)
_H1 = etree.XPath("//h1")
_HAS_LINK = etree.XPath("boolean(.//a)")
_SHARE_NAMED = etree.XPath(
    "//*[contains(translate(@class, 'SHARE', 'share'), 'share')"
    " or contains(translate(@id, 'SHARE', 'share'), 'share')][not(self::body or self::html)]"
)
_TITLE = etree.XPath("//title//text()", smart_strings=False)
_FLAT_LENGTH = etree.XPath("string-length(normalize-space(.))")
_LINKY_BLOCKS = etree.XPath(
    "//*[self::div or self::p or self::ul or self::ol or self::dl or self::td or self::section]"
    f"[count(.//a[@href]) >= {LINK_LIST_LINKS}]"
)
# Every text node, filtered by one regex in Python: an XPath `contains()` per word scans them
# all once a word, several times slower.
_TEXT_NODES = etree.XPath("//text()")
_NOTICE_WORDS = "版权|免责|侵权|著作权|[Cc]opyright|COPYRIGHT"
_METADATA_WORDS = "来源|作者|编辑|记者|发布时间|发表时间|发布日期|更新时间|点击|浏览|阅读"
_NOTICE_WORD = re.compile(_NOTICE_WORDS)
_SENTENCE_END = re.compile("[。！？!?]")
_METADATA_FIELD = re.compile(
    rf"(?:{_METADATA_WORDS})\s*[:：]"
    r"|(?:\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?|\d{1,2}[-./]\d{1,2}[-./]\d{4})\s*[-–]?\s*\d{1,2}:\d{2}"
)
_CLUE = re.compile(f"{_NOTICE_WORDS}|评论|{_METADATA_FIELD.pattern}")
_CLUE_NODE_CHARS = 2 * METADATA_MAX_CHARS
_CLUE_HINT = re.compile("[版免侵著Cc来作编记发更点浏阅评:：]")  # a character every clue has
# A comments section's heading, not the "发表评论" action link.
_COMMENTS_LABEL = re.compile(
    r"^\W*(?:最新|网友|热门|全部|用户|读者|精彩)?评论(?:区|列表)?\s*(?:[(（]\s*\d+\s*[)）])?\s*[:：]?\W*$"
)
_NOTICE_LABEL = re.compile(
    r"^\W*\w{0,12}(?:版权|免责|侵权|著作权)\w{0,8}(?:声明|公告|说明|须知)\s*[:：]?\W*$"
    r"|^\W*(?:copyright|版权所有)\b",
    re.I,
)


def drop_chrome(tree: HtmlElement) -> None:
    """Remove tables of links, share bars, lists of links, metadata lines, copyright notices,
    comment sections and the headline from `tree` (in place)."""
    for table in [t for t in tree.iter("table") if is_link_table(t)]:
        _drop(table)
    for bar in share_bars(tree):
        _drop(bar)
    for block in link_lists(tree):
        _drop(block)
    clues = clue_elements(tree)
    for block in metadata_blocks(clues):
        _drop(block)
    for notice in notice_blocks(clues):
        _drop(notice)
    for section in comment_sections(clues):
        _drop(section)
    title = title_heading(tree)
    if title is not None:
        _drop(title)


def title_heading(tree: HtmlElement) -> HtmlElement | None:
    """The page's one `<h1>` when it repeats the start of the `<title>`: the headline, which
    metadata keeps and the body text does not (a lone `<h1>` of other text stays)."""
    headings = _H1(tree)
    if len(headings) != 1:
        return None
    head = "".join(headings[0].text_content().split())[:TITLE_HEAD_CHARS]
    title = "".join(" ".join(_TITLE(tree)).split())
    return headings[0] if head and head in title else None


def is_link_table(table: HtmlElement) -> bool:
    """A table whose text is mostly link text: navigation laid out as a grid."""
    return _link_share(table) >= LINK_TABLE_SHARE


def share_bars(tree: HtmlElement) -> list[HtmlElement]:
    """Short elements named as share buttons or bars (`class="share-wrap"`, `id="shareBox"`):
    "分享到：微信 微博", "分享让更多人看到"; any tag (trafilatura checks only some)."""
    return _outermost([e for e in _SHARE_NAMED(tree) if _FLAT_LENGTH(e) <= SHARE_BAR_CHARS])


def link_lists(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost blocks of at least LINK_LIST_LINKS links whose text is mostly link text
    (a blogroll, a related-articles list, a row of channel links)."""
    found: dict[HtmlElement, None] = {}
    for block in _LINKY_BLOCKS(tree):  # document order: an ancestor comes before its blocks
        if not any(a in found for a in block.iterancestors()) and _link_share(block) >= LINK_LIST_SHARE:
            found[block] = None
    return list(found)


def metadata_blocks(clues: list[HtmlElement]) -> list[HtmlElement]:
    """The outermost blocks around the clue elements that are lines of publication fields, and
    lines of one field next to another such line (`<p>来源：某报</p><p>编辑：某</p>`)."""
    blocks = []
    for element in clues:
        block = _outermost_metadata(element)
        if block is None and _fields(element) == 1:
            block = element if any(_fields(s) for s in _neighbours(element)) else None
        if block is not None:
            blocks.append(block)
    return _outermost(blocks)


def is_metadata_block(block: HtmlElement) -> bool:
    """A short block of publication fields and nothing else: `2022.01.20 16:31 来源：某报`,
    `作者：某 编辑：某` (two fields at least, no sentence)."""
    return _fields(block) >= 2


def _fields(block: HtmlElement) -> int:
    """How many publication fields a short block without a sentence holds (0 for any other)."""
    if _FLAT_LENGTH(block) > METADATA_MAX_CHARS:
        return 0
    text = _flat(block)
    return 0 if _SENTENCE_END.search(text) else len(_METADATA_FIELD.findall(text))


def _neighbours(element: HtmlElement) -> list[HtmlElement]:
    """The sibling elements right before and after `element` with no text between them."""
    before, after = element.getprevious(), element.getnext()
    found = [before] if before is not None and not (before.tail or "").strip() else []
    return found + ([after] if after is not None and not (element.tail or "").strip() else [])


def notice_blocks(clues: list[HtmlElement]) -> list[HtmlElement]:
    """The outermost blocks that start with a copyright/disclaimer heading and hold little else."""
    labels = [e for e in clues if _is_notice_label(e)]
    return _outermost([_outermost_starting_with(label) for label in labels])


def comment_sections(clues: list[HtmlElement]) -> list[HtmlElement]:
    """The outermost blocks that start with a comments heading (`网友评论`, `评论（12）`), the
    heading no link."""
    labels = [e for e in clues if _is_comments_label(e)]
    return _outermost([_outermost_starting_with(label, COMMENTS_MAX_CHARS) for label in labels])


def clue_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The elements holding a text node with a word that can start a metadata line or a notice
    (a node longer than a metadata line is in neither)."""
    elements: dict[HtmlElement, None] = {}
    for node in _TEXT_NODES(tree):
        if len(node) > _CLUE_NODE_CHARS and len(node.strip()) > METADATA_MAX_CHARS:
            continue
        if not (_CLUE_HINT.search(node) and _CLUE.search(node)):
            continue
        element = node.getparent()
        if element is not None and node.is_tail:
            element = element.getparent()
        if element is not None and element.tag not in ("body", "html"):
            elements[element] = None
    return list(elements)


def _outermost_metadata(element: HtmlElement) -> HtmlElement | None:
    """The outermost of `element` and its short ancestors that is a metadata block, if any."""
    found = element if is_metadata_block(element) else None
    for parent in element.iterancestors():
        if parent.tag in ("body", "html") or _FLAT_LENGTH(parent) > METADATA_MAX_CHARS:
            break
        found = parent if is_metadata_block(parent) else found
    return found


def _is_notice_label(element: HtmlElement) -> bool:
    text = element.text_content()
    return (
        len(text) <= NOTICE_LABEL_CHARS
        and bool(_NOTICE_WORD.search(text))
        and bool(_NOTICE_LABEL.match(text.strip()))
    )


def _is_comments_label(element: HtmlElement) -> bool:
    text = element.text_content()
    return (
        len(text) <= NOTICE_LABEL_CHARS
        and element.tag != "a"
        and not _HAS_LINK(element)
        and bool(_COMMENTS_LABEL.match(text.strip()))
    )


def _outermost_starting_with(label: HtmlElement, max_chars: int = NOTICE_MAX_CHARS) -> HtmlElement:
    """Climb from `label` while the ancestor's text still begins with it and stays at most
    `max_chars` long."""
    block, head = label, label.text_content().strip()
    for parent in label.iterancestors():
        if parent.tag in ("body", "html"):
            break
        text = parent.text_content().strip()
        if len(text) > max_chars or head not in text[: len(head) + NOTICE_HEAD_CHARS]:
            break
        block = parent
    return block


def _outermost(blocks: list[HtmlElement]) -> list[HtmlElement]:
    """`blocks` without repeats and without those inside another of them."""
    unique = set(blocks)
    return [b for b in dict.fromkeys(blocks) if not any(a in unique for a in b.iterancestors())]


def _link_share(block: HtmlElement) -> float:
    """Share of the block's letters and digits that are link text (dates and brackets around
    links do not count); for a large block, of its characters (a regex over a large block's
    text cost milliseconds, libxml2 measures its length)."""
    total = _FLAT_LENGTH(block)
    linked = "".join(_LINK_TEXT(block))
    if total > EXACT_SHARE_CHARS:
        return len(" ".join(linked.split())) / total
    words = _words(block.text_content())
    return _words(linked) / words if words else 0.0


def _words(text: str) -> int:
    return len(_WORDLIKE.findall(text))


def _flat(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _drop(element: HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()  # keeps the tail: the text after the block is not part of it
