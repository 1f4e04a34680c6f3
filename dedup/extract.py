"""One archived response → main text and metadata, with trafilatura and fallbacks.

Metadata (title, author, site, date) comes from `dedup.page_metadata`, not from trafilatura.
trafilatura reads the page as `dedup.page_layout.readable_tree` prepares it: layout tables as
blocks, loose text as paragraphs, and the chrome that `dedup.page_chrome` finds by general signals
(link grids and lists, publication-field lines, copyright notices, the headline) taken out.
Paths, recorded in `Extraction.extractor`: `trafilatura` (its fast mode: main extractor only),
`trafilatura_recall` (a retry in full mode favouring recall, with trafilatura's backup extractors,
when the first pass found nothing or far too little) and `density` (the block of the page holding
the most paragraph text, or the paragraph-sized text runs of markup no tree can be built of,
when trafilatura finds nothing at all). The retry chain stands in for
trafilatura's own backup step, which the fast first pass skips.
"""

from __future__ import annotations

import copy
import html as html_entities
import re
from itertools import islice

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Extractor

from dedup.decode import decode
from dedup.errors import Rejected
from dedup.page_layout import readable_tree
from dedup.page_metadata import page_metadata
from dedup.reasons import RejectReason
from dedup.records import Extraction, Page

EXTRACT_VERSION = f"extract3+trafilatura{trafilatura.__version__}"
MIN_TEXT_CHARS = 50
MAX_HTML_CHARS = 5_000_000
SHORT_TEXT_CHARS = 1000
TOO_LITTLE_SHARE = 0.2

_NOISE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe")
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "td", "section", "article", "blockquote", "pre"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)
_WORDLIKE = re.compile(r"[^\W_]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_FALLBACK_MIN_BLOCK = 20
# Disjoint classes with a possessive run: linear even on a long line that falls just short.
_PARAGRAPH = re.compile(rf"^(?:(?:[^\w\n]|_)*+[^\W_]){{{_FALLBACK_MIN_BLOCK}}}", re.M)
_RAW_BLOCKS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_COMMENT_SECTIONS = etree.XPath(
    "//*[contains(@class, 'comment') or contains(@id, 'comment') or contains(@class, 'reply')]"
)
_ANY_TAG = re.compile(r"<[^<>]{0,2000}>")
# Built once: an Extractor reads trafilatura's settings on construction, 0.15 ms a page (a
# sixteenth of the fast pass); each call takes a copy with its page's URL.
_FIRST_PASS, _RETRY = (
    Extractor(output_format="python", comments=False, tables=True, fast=first, recall=not first)
    for first in (True, False)
)


def extract(page: Page, *, min_chars: int = MIN_TEXT_CHARS) -> Extraction:
    """Decode and extract `page`; raises Rejected (never another exception) when it cannot."""
    try:
        return _extract(page, min_chars)
    except Rejected:
        raise
    except Exception as exc:  # the stage boundary: bad input becomes a rejection, never a crash
        raise Rejected(RejectReason.EXTRACT_FAILED, f"{type(exc).__name__}: {exc}"[:300]) from exc


def _extract(page: Page, min_chars: int) -> Extraction:
    decoded = decode(page.body, page.header("content-type"), page.encoding_override)
    html = decoded.text
    if len(html) > MAX_HTML_CHARS:
        raise Rejected(RejectReason.TOO_LARGE, f"{len(html)} characters of HTML")
    tree = readable_tree(html)
    document = _trafilatura(tree, page.url, first_pass=True)
    extractor, text = "trafilatura", _text(document)
    if not _usable(text, min_chars) or far_too_little(text, html):
        retry = _trafilatura(tree, page.url, first_pass=False)
        if len(_text(retry)) > len(text):
            extractor, text = "trafilatura_recall", _text(retry)
    if not _usable(text, min_chars):
        extractor, text = "density", density_text(html)
    if not _usable(text, min_chars):
        raise Rejected(RejectReason.NO_MAIN_TEXT, f"fewer than {min_chars} letters or digits found")
    meta = page_metadata(html, page.url)
    return Extraction(
        capture_id=page.capture_id, url=page.url, text=text, title=meta.title,
        published=meta.published, author=meta.author, site=meta.site, extractor=extractor,
        encoding=decoded.encoding, version=EXTRACT_VERSION, dates=meta.dates,
    )  # fmt: skip


def far_too_little(text: str, html: str) -> bool:
    """A short text from a page with much more Chinese text in its markup (only short texts
    are checked, so long extractions cost nothing more)."""
    if len(text) >= SHORT_TEXT_CHARS:
        return False
    in_page = len(html) - len(_CJK.sub("", html))
    in_text = len(text) - len(_CJK.sub("", text))
    return in_page >= SHORT_TEXT_CHARS and in_text < TOO_LITTLE_SHARE * in_page


def _trafilatura(tree: HtmlElement | None, url: str, *, first_pass: bool) -> object | None:
    """First pass: trafilatura's fast mode (no backup extractors); the retry is the full mode
    favouring recall, backup extractors included. trafilatura works on a copy of `tree`."""
    if tree is None:
        return None
    return trafilatura.bare_extraction(tree, options=_options(first_pass, url))


def _options(first_pass: bool, url: str) -> Extractor:
    """A copy of the pass's options with this page's URL (as `bare_extraction` would set it)."""
    options = copy.copy(_FIRST_PASS if first_pass else _RETRY)
    options.url = url or None
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


def _attr(document: object | None, name: str) -> str | None:
    value = getattr(document, name, None)
    return str(value).strip() or None if value else None


def _text(document: object | None) -> str:
    return _attr(document, "text") or ""


def _usable(text: str, min_chars: int) -> bool:
    """Enough letters or digits, and at least one paragraph-sized line: a list of short
    lines (a navigation menu) is not a document."""
    return _has_words(text, min_chars) and bool(_PARAGRAPH.search(text))


def _has_words(text: str, count: int) -> bool:
    """At least `count` letters or digits in `text` (stops counting there)."""
    return sum(1 for _ in islice(_WORDLIKE.finditer(text), count)) >= count


def density_text(html: str) -> str:
    """Text of the element whose own paragraphs hold the most text (a simple density fallback)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # nothing parseable: no text, not a crash
        return ""
    if not root.text_content().strip():  # the parser gave up (very deep nesting)
        return text_runs(html)
    etree.strip_elements(root, *_NOISE_TAGS, etree.Comment, with_tail=False)
    for element in _COMMENT_SECTIONS(root):  # comments stay excluded, as in trafilatura
        element.drop_tree()
    scores: dict[etree._Element, int] = {}
    for element in root.iter():
        for piece in (element.text, element.tail):
            length = len(_WORDLIKE.findall(piece or ""))
            parent = element if piece is element.text else element.getparent()
            if length >= _FALLBACK_MIN_BLOCK and parent is not None:
                scores[parent] = scores.get(parent, 0) + length
    if not scores:
        return ""
    return _block_text(max(scores, key=scores.__getitem__))


def text_runs(html: str) -> str:
    """The paragraph-sized runs of text between tags, for markup no parser makes a tree of
    (libxml2 gives up on very deep nesting); navigation-sized pieces are left out."""
    text = html_entities.unescape(_ANY_TAG.sub("\n", _RAW_BLOCKS.sub("", html)))
    runs = (line.strip() for line in text.split("\n"))
    return "\n".join(r for r in runs if len(_WORDLIKE.findall(r)) >= _FALLBACK_MIN_BLOCK)


def _block_text(element: etree._Element) -> str:
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if node.tag in _BLOCKS:
            parts.append("\n")
        if event == "start":
            parts.append(node.text or "")
        elif node is not element:
            parts.append(node.tail or "")
    return re.sub(r"\s*\n\s*", "\n", "".join(parts)).strip()
