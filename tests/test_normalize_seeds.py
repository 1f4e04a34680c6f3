"""The normalizer alone on the raw seed captures (all their noise still in the text)."""

from __future__ import annotations

import pytest

from dedup.normalize import normalize_text, reasons
from tests.extraction_quality import FixturePage, char_precision_recall, fixture_pages

FLOOR = 0.98
PAGES = fixture_pages()
# Who wrote the article: on the raw capture the byline is a line of its own.
BYLINES = {"000_b56972f66257c85f.txt": ("乔立龙",)}


@pytest.mark.parametrize("fixture", PAGES, ids=[p.name for p in PAGES])
def test_raw_seed_normalizes_to_the_hand_written_text(fixture: FixturePage) -> None:
    seed = str(fixture.entry["seed"])
    normalized = normalize_text(
        fixture.seed_text, seed, title=str(fixture.entry["title"]), bylines=BYLINES.get(seed, ())
    )
    precision, recall = char_precision_recall(normalized.display, fixture.expected)
    assert precision >= FLOOR, f"precision {precision:.4f}"
    assert recall >= FLOOR, f"recall {recall:.4f}"
    for fragment in fixture.strings("absent"):
        assert fragment not in normalized.display, fragment


def test_each_seed_shows_its_kinds_of_noise_removed() -> None:
    found = {}
    for fixture in PAGES:
        normalized = normalize_text(fixture.seed_text, "s", title=str(fixture.entry["title"]))
        found[fixture.entry["seed"]] = {r.reason for r in normalized.removed}
    assert {reasons.HTML_REMNANT, reasons.TAG_CLOUD} <= found["000_b56972f66257c85f.txt"]
    assert {
        reasons.SPAM_LINE, reasons.PINYIN_ANNOTATION, reasons.SITE_CHROME,
        reasons.REPEATED_SUMMARY, reasons.REPEATED_TITLE,
    } <= found["001_95b7c9bdec0d6746.txt"]  # fmt: skip
    assert {
        reasons.PAGE_CHUNK_MARKER, reasons.PAGE_COUNTER, reasons.SITE_CHROME, reasons.REPEATED_TITLE,
    } <= found["004_86119ade0226ca68.txt"]  # fmt: skip
