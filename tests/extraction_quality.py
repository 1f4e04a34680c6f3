"""The fixture pages (three seeds wrapped in realistic pages) and how close a text is to its
hand-written expected display text."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import opencc

from dedup.records import Page

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FixturePage:
    entry: dict[str, object]

    @property
    def name(self) -> str:
        return str(self.entry["file"])

    @property
    def page(self) -> Page:
        return Page(
            capture_id=self.name,
            url=str(self.entry["url"]),
            body=(PAGES / self.name).read_bytes(),
            headers=(("Content-Type", str(self.entry["content_type"])),),
        )

    @property
    def expected(self) -> str:
        return (PAGES / str(self.entry["expected"])).read_text(encoding="utf-8")

    @property
    def seed_text(self) -> str:
        return (SEEDS / str(self.entry["seed"])).read_text(encoding="utf-8")

    def strings(self, key: str) -> list[str]:
        value = self.entry.get(key, [])
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def fixture_pages() -> list[FixturePage]:
    entries = json.loads((PAGES / "pages.json").read_text(encoding="utf-8"))
    return [FixturePage(entry) for entry in entries]


def char_precision_recall(got: str, expected: str) -> tuple[float, float]:
    """Character-level precision and recall of `got` against `expected`, whitespace ignored,
    over the longest matching blocks (difflib, no junk heuristic)."""
    a, b = _SPACE.sub("", got), _SPACE.sub("", expected)
    if not a or not b:
        return (1.0 if a == b else 0.0), (1.0 if a == b else 0.0)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(a), matched / len(b)


_T2S = opencc.OpenCC("t2s")
_NOT_WORD = re.compile(r"[\W_]+")


def word_recall(got: str, truth: str) -> float:
    """Share of `truth`'s letters and digits (NFKC, simplified, as a multiset) found in `got`:
    punctuation and spaces are left out, since the pages' own noise changes them."""
    want = Counter(_words_of(truth))
    found = want & Counter(_words_of(got))
    return sum(found.values()) / max(1, sum(want.values()))


def _words_of(text: str) -> str:
    return _NOT_WORD.sub("", _T2S.convert(unicodedata.normalize("NFKC", text)))
