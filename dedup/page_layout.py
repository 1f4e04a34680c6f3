"""The page tree as the extractor should read it: layout tables as blocks, loose text as paragraphs.

Old portal pages lay the whole page out in nested tables; trafilatura renders a table as data
(every cell, navigation included, as `| a | b |` rows), so a table used for layout becomes plain
blocks, which its content heuristics (link density, position) then judge like any `<div>`. A
table is layout when it nests another table or one of its cells holds a paragraph or block
markup; a data table (short cells, no nesting) stays a table. Text that follows a block element
directly (after an ad box, a comment or an iframe) is a paragraph of its own that trafilatura
drops as the tail of a removed or non-text node; it is wrapped in `<p>`, and so is a run of inline
text beside paragraphs (Word-made markup closes a `<p>` inside a `<span>` and goes on outside it).
`overflow: hidden` leaves inline styles: trafilatura drops any element whose style says "hidden",
and folded "read more" text boxes (meipian's) are clipped that way. Then `dedup.page_chrome`
takes out what general signals call chrome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from dedup.page_chrome import drop_chrome

LAYOUT_CELL_CHARS = 150
LOOSE_TEXT_CHARS = 10

_WORDLIKE = re.compile(r"[^\W_]")
# Dropped before extraction, their tails kept (trafilatura drops the tail with the element).
_NEVER_TEXT = (etree.Comment, etree.ProcessingInstruction, "script", "style", "noscript", "iframe")
_CLIPPED = etree.XPath("//*[contains(@style, 'hidden')]")
_OVERFLOW_HIDDEN = re.compile(r"overflow(?:-[xy])?\s*:\s*hidden\s*;?", re.I)
_TABLE_PARTS = etree.XPath(
    "descendant-or-self::*[self::table or self::tbody or self::thead or self::tfoot"
    " or self::tr or self::td or self::th or self::caption]"
)
_NESTED_TABLE = etree.XPath("boolean(.//table)")
_CELLS = etree.XPath(".//td | .//th")
_ROWS = etree.XPath("./tr | ./*/tr")
_ROW_CELLS = etree.XPath("./td | ./th")
_CELL_BLOCKS = etree.XPath("boolean(./p | ./div | ./ul | ./ol)")
_Run = tuple[HtmlElement | None, list[HtmlElement]]
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
    show_clipped_boxes(tree)
    for table in [t for t in tree.iter("table") if is_layout_table(t)]:
        for part in _TABLE_PARTS(table):
            part.tag = "div"
    drop_chrome(tree)
    paragraph_loose_text(tree)
    return tree


def show_clipped_boxes(tree: HtmlElement) -> None:
    """Take `overflow: hidden` out of inline styles (in place): it clips a box's overflow, it
    does not hide the box, but trafilatura drops any element whose style mentions "hidden"
    (article bodies of folded "read more" boxes, e.g. meipian's text boxes, went with it)."""
    for element in _CLIPPED(tree):
        element.set("style", _OVERFLOW_HIDDEN.sub("", element.get("style", "")))


def is_layout_table(table: HtmlElement) -> bool:
    """A table that arranges a page rather than holding data: nested tables, one row or one
    column (a bar or a list, not a grid), or a cell with a paragraph of text or block markup."""
    if _NESTED_TABLE(table):
        return True
    rows = _ROWS(table)
    if len(rows) <= 1 or max(len(_ROW_CELLS(row)) for row in rows) <= 1:
        return True
    return any(_CELL_BLOCKS(cell) or _has_words(cell.itertext(), LAYOUT_CELL_CHARS)
               for cell in _CELLS(table))  # fmt: skip


def paragraph_loose_text(tree: HtmlElement) -> None:
    """Wrap each run of text and inline markup that sits beside block siblings, outside any
    paragraph, in a `<p>` of its own (in place)."""
    blocky = _blocky_elements(tree)
    for container in [el for el in blocky if any(child in blocky for child in el)]:
        for run in _loose_runs(container, blocky):
            _wrap(container, run)


def _blocky_elements(tree: HtmlElement) -> set[HtmlElement]:
    """Block elements and every element that contains one (an inline `<span>` around a `<p>`)."""
    blocky: set[HtmlElement] = set()
    for element in tree.iter(*_BLOCK_TAGS):
        while element is not None and element not in blocky:
            blocky.add(element)
            element = element.getparent()
    return blocky


def _loose_runs(container: HtmlElement, blocky: set[HtmlElement]) -> list[_Run]:
    """The runs of `container`'s children between its block children that hold enough text:
    (the block before the run or None for the container's start, the inline elements)."""
    runs: list[_Run] = []
    before: HtmlElement | None = None
    inline: list[HtmlElement] = []
    for child in [*container, None]:
        if child is not None and child not in blocky:
            inline.append(child)
            continue
        lead = container.text if before is None else before.tail
        if (inline or (lead and not lead.isspace())) and _has_words(
            _run_texts(lead, inline), LOOSE_TEXT_CHARS
        ):
            runs.append((before, inline))
        before, inline = child, []
    return runs


def _wrap(container: HtmlElement, run: _Run) -> None:
    before, inline = run
    paragraph = etree.Element("p")
    if before is None:
        paragraph.text, container.text = container.text, None
        container.insert(0, paragraph)
    else:
        paragraph.text, before.tail = before.tail, None
        before.addnext(paragraph)
    paragraph.extend(inline)  # each element moves with its tail


def _run_texts(lead: str | None, inline: list[HtmlElement]) -> Iterator[str]:
    yield lead or ""
    for element in inline:
        yield from element.itertext()
        yield element.tail or ""


def _has_words(texts: Iterable[str], count: int) -> bool:
    """At least `count` letters or digits in `texts` (stops reading once there)."""
    found = 0
    for text in texts:
        found += len(_WORDLIKE.findall(text.strip(), 0, 4 * count))
        if found >= count:
            return True
    return False
