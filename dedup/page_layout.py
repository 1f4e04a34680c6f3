"""The page tree as the extractor should read it: layout tables as blocks, loose text as paragraphs.

Old portal pages lay the whole page out in nested tables; trafilatura renders a table as data
(every cell, navigation included, as `| a | b |` rows), so a table used for layout becomes plain
blocks, which its content heuristics (link density, position) then judge like any `<div>`. A
table is layout when it nests another table or one of its cells holds a paragraph or block
markup; a data table (short cells, no nesting) stays a table. Text that follows a block element
directly (after an ad box, a comment or an iframe) is a paragraph of its own that trafilatura
drops as the tail of a removed or non-text node; it is wrapped in `<p>`.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

LAYOUT_CELL_CHARS = 150
LOOSE_TEXT_CHARS = 10

_WORDLIKE = re.compile(r"[^\W_]")
# Dropped before extraction, their tails kept (trafilatura drops the tail with the element).
_NEVER_TEXT = (etree.Comment, etree.ProcessingInstruction, "script", "style", "noscript", "iframe")
_TABLE_PARTS = etree.XPath(
    "descendant-or-self::*[self::table or self::tbody or self::thead or self::tfoot"
    " or self::tr or self::td or self::th or self::caption]"
)
_NESTED_TABLE = etree.XPath("boolean(.//table)")
_CELLS = etree.XPath(".//td | .//th")
_CELL_BLOCKS = etree.XPath("boolean(./p | ./div | ./ul | ./ol)")
_BLOCK_TAGS = frozenset(
    {"div", "p", "table", "ul", "ol", "dl", "section", "article", "blockquote", "center", "form"}
    | {"hr", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav", "aside"}
)


def readable_tree(html: str) -> HtmlElement | None:
    """The page parsed as trafilatura parses it, then made readable (see the module); None
    when there is no tree to read."""
    tree = load_html(html)
    if tree is None:
        return None
    etree.strip_elements(tree, *_NEVER_TEXT, with_tail=False)
    for table in [t for t in tree.iter("table") if is_layout_table(t)]:
        for part in _TABLE_PARTS(table):
            part.tag = "div"
    paragraph_loose_text(tree)
    return tree


def is_layout_table(table: HtmlElement) -> bool:
    """A table that arranges a page rather than holding data: nested tables, or a cell with a
    paragraph of text or block markup."""
    if _NESTED_TABLE(table):
        return True
    return any(_CELL_BLOCKS(cell) or _words(cell.text_content()) >= LAYOUT_CELL_CHARS
               for cell in _CELLS(table))  # fmt: skip


def paragraph_loose_text(tree: HtmlElement) -> None:
    """Wrap text that directly follows a block element in a `<p>` of its own (in place)."""
    loose = [el for el in tree.iter() if el.tag in _BLOCK_TAGS and _words(el.tail) >= LOOSE_TEXT_CHARS]
    for element in loose:
        paragraph = etree.Element("p")
        paragraph.text, element.tail = element.tail, None
        element.addnext(paragraph)


def _words(text: str | None) -> int:
    return len(_WORDLIKE.findall(text or ""))
