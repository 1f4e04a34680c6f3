"""Truncated previews: doc-sharing pages that show only the first pages of a document."""

from __future__ import annotations

import re

from dedup.normalize.counters import page_numbers

# Said only when the rest is withheld.
_WITHHELD = re.compile(
    r"还剩\s*\d+\s*页|剩余\s*\d+\s*页|余下\s*\d+\s*页|试读结束|预览已结束|预览结束|"
    r"下载后(?:查看|阅读)完整|付费(?:后)?(?:阅读|查看)全文|购买后(?:查看|阅读)|未读完|下载文档查看全文"
)
# Said also by pages that then show everything; they count only next to a page count.
_PREVIEW = re.compile(r"展开阅读全文|点击查看更多|查看全文|阅读全文|继续阅读|下载文档|展开全文|点击展开")


def looks_truncated(text: str) -> bool:
    """True when the page says the rest is withheld, or shows a preview marker and fewer
    pages than it announces."""
    if _WITHHELD.search(text):
        return True
    if not _PREVIEW.search(text):
        return False
    shown, total = page_numbers(text)
    return total > max(shown, 1)
