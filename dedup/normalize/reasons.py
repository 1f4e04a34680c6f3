"""Reason codes of what the normalizer removes; each `Removal.reason` is one of these."""

from __future__ import annotations

HTML_REMNANT = "html_remnant"
PINYIN_ANNOTATION = "pinyin_annotation"
SPURIOUS_COMMA = "spurious_comma"
PAGE_CHUNK_MARKER = "page_chunk_marker"
PAGE_COUNTER = "page_counter"
SITE_CHROME = "site_chrome"
SPAM_LINE = "spam_line"
TAG_CLOUD = "tag_cloud"
REPEATED_SUMMARY = "repeated_summary"
REPEATED_TITLE = "repeated_title"
REPEATED_PARAGRAPH = "repeated_paragraph"
# Related titles and tags glued after the last sentence of the text (no punctuation of their own).
TRAILING_LINKS = "trailing_links"

ALL = (
    HTML_REMNANT,
    PINYIN_ANNOTATION,
    SPURIOUS_COMMA,
    PAGE_CHUNK_MARKER,
    PAGE_COUNTER,
    SITE_CHROME,
    SPAM_LINE,
    TAG_CLOUD,
    REPEATED_SUMMARY,
    REPEATED_TITLE,
    REPEATED_PARAGRAPH,
    TRAILING_LINKS,
)
