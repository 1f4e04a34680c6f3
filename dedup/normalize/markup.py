"""HTML remnants inside extracted text: tags, comments and entities that came through as text."""

from __future__ import annotations

import html
import re

from dedup.normalize import reasons
from dedup.records import Removal

_BLOCK = (
    "p|div|h[1-6]|br|li|ul|ol|dl|dt|dd|tr|td|th|table|tbody|thead|tfoot|section|article|header|"
    "footer|nav|aside|blockquote|hr|pre|center|figure|figcaption|form|title|body|html|head"
)
_INLINE = (
    "a|abbr|b|big|cite|code|em|font|i|img|input|label|mark|o:p|q|s|small|span|strike|strong|sub|"
    "sup|tt|u|wbr|button|select|option|textarea|meta|link|iframe|noscript|video|audio|source"
)
# Attributes as HTML writes them (name, name=value), so `a<b 且 b>c` is not taken for a tag.
_VALUE = r"""(?:"[^"<>]{0,2000}"|'[^'<>]{0,2000}'|[^\s"'<>]{1,2000})"""
_ATTRS = rf"(?:\s+[a-zA-Z_:][-\w:.]{{0,40}}(?:\s*=\s*{_VALUE})?){{0,60}}\s*/?"
_RAW = re.compile(r"<(script|style)\b[^<>]{0,2000}>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK})\b{_ATTRS}>", re.I)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE}|script|style)\b{_ATTRS}>", re.I)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?")
_ANY = re.compile(r"<|&(?:#|[a-zA-Z])")
_MAX_ROUNDS = 6


def strip_html_remnants(text: str) -> tuple[str, list[Removal]]:
    """Unescape entities and drop tags (block tags become line breaks) until none is left."""
    removed: list[Removal] = []
    for _ in range(_MAX_ROUNDS):
        if not _ANY.search(text):
            break
        cleaned = _strip_once(text, removed)
        if cleaned == text:
            break
        text = cleaned
    return text, removed


def _strip_once(text: str, removed: list[Removal]) -> str:
    text = _ENTITY.sub(_unescape, text)
    for pattern, replacement in ((_RAW, ""), (_COMMENT, ""), (_BLOCK_TAG, "\n"), (_INLINE_TAG, "")):
        found = pattern.findall(text) if pattern is not _RAW else [m.group(0) for m in pattern.finditer(text)]
        if found:
            removed.extend(Removal(reasons.HTML_REMNANT, tag) for tag in found)
            text = pattern.sub(replacement, text)
    return text


def _unescape(match: re.Match[str]) -> str:
    # Spaces from &nbsp; and friends are folded later with the other width/space variants.
    return html.unescape(match.group(0))
