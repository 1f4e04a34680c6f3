"""Extraction on the fixture web's real-markup kinds: meipian editor articles, doc-sharing viewer
sheets, county pages in table layouts (GBK, paragraphs or `<br>` lines), plain news pages.

Each kind: every document's extracted text holds >= 98% of its generated body's letters and
digits, and none of the chrome strings the fixture's markup injects around it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dedup.extract import extract
from dedup.normalize import join_pages, normalize
from dedup.records import Extraction, Page
from synthetic.fixture_web import markup
from synthetic.fixture_web.site import FixtureDoc, FixtureWeb, build, respond
from tests.extraction_quality import word_recall

RECALL_FLOOR = 0.98
WEB = build("http://127.0.0.1:8000", 60, seed=7)


def _kind(web: FixtureWeb, doc: FixtureDoc) -> str:
    if doc.site == "news":
        return "meipian" if web.index_of(doc) % 2 else "news"
    if doc.site == "gov":
        return "gov_br_lines" if doc.number % 2 else "gov_paragraphs"
    return "wenku_sheets"


def _docs(kind: str) -> list[FixtureDoc]:
    return [d for d in WEB.docs if _kind(WEB, d) == kind and not d.truncated]


def _extracted(doc: FixtureDoc) -> Extraction:
    """The document's pages fetched from the fixture web, extracted and joined as the ingest does."""
    pages = []
    for path in doc.page_paths:
        reply = respond(WEB, path, "", {})
        assert reply.status == 200, path
        page = Page(capture_id=path, url=WEB.base + path, body=reply.body, headers=reply.headers)
        pages.append(extract(page))
    return join_pages(pages) if len(pages) > 1 else pages[0]


def _chrome_in(text: str) -> Iterator[str]:
    return (marker for marker in markup.CHROME if marker in text)


@pytest.mark.parametrize("kind", ["meipian", "news", "wenku_sheets", "gov_paragraphs", "gov_br_lines"])
def test_each_markup_kind_yields_its_whole_body_and_none_of_its_chrome(kind: str) -> None:
    docs = _docs(kind)
    assert len(docs) >= 5, f"the fixture web has too few {kind} pages"
    for doc in docs:
        extraction = _extracted(doc)
        recall = word_recall(extraction.text, doc.corpus.text)
        assert recall >= RECALL_FLOOR, f"{doc.path}: recall {recall:.3f}"
        assert not list(_chrome_in(extraction.text)), doc.path
        assert not list(_chrome_in(normalize(extraction).display)), doc.path


def test_the_markup_is_the_real_sites_kind() -> None:
    """The pages carry the shapes the tests are about (a guard against the fixture drifting)."""
    meipian = respond(WEB, _docs("meipian")[0].path, "", {}).body.decode("utf-8")
    assert 'class="ql-block' in meipian and "<h5" in meipian and "overflow: hidden" in meipian
    sheets = respond(WEB, _docs("wenku_sheets")[0].path, "", {}).body.decode("utf-8")
    assert sheets.count('class="doc-sheet"') >= 2 and "第 2 页" in sheets
    gov_reply = respond(WEB, _docs("gov_br_lines")[0].path, "", {})
    assert "charset" not in dict(gov_reply.headers)["Content-Type"]
    gov = gov_reply.body.decode("gbk")
    assert gov.count("<table") >= 3 and "<br>" in gov
