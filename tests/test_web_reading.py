"""A real headless chromium reads clusters: the list's filters, and the characters that differ
inside aligned passages (side by side and on the document page). Screenshots: test-artifacts/."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from playwright.sync_api import Browser, Page

from synthetic.corpus import generate
from tests.test_web_browser import _page, _shot, browser, site  # noqa: F401  (fixtures)
from tests.web_data import touching_spans
from workers.flow.ingest import Ingestor
from workers.read.highlight import changed

TRANSPARENT = "rgba(0, 0, 0, 0)"


def _agreeing(text: str, ranges: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for lo, hi in ranges:
        out.append(text[at:lo])
        at = hi
    return "".join(out) + text[at:]


def test_changed_marks_exactly_the_characters_that_differ() -> None:
    a, b = "市教育工作会议在2020年召开，同志们：", "市教育工作会议在2019年召开，同志们："
    assert changed(a, b) == ([(10, 12)], [(10, 12)])
    extra = "全市上下要奋发有为，"
    assert changed(a, a[:14] + extra + a[14:]) == ([], [(14, 14 + len(extra))])
    text = "".join(d.text for d in generate(8, seed=2))[:6000]
    swapped = list(text)
    positions = range(7, len(text), 61)  # isolated one-character substitutions
    for i in positions:
        swapped[i] = "某" if text[i] != "某" else "甲"
    a_out, b_out = changed(text, "".join(swapped))
    assert a_out == b_out == [(i, i + 1) for i in positions]
    assert _agreeing(text, a_out) == _agreeing("".join(swapped), b_out)


def _api(base: str, path: str, **params: object) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=10) as response:
        return json.loads(response.read())


def _background(page: Page, selector: str, index: int = 0) -> str:
    return str(page.locator(selector).nth(index).evaluate("e => getComputedStyle(e).backgroundColor"))


def _cells(page: Page, column: str) -> list[str]:
    return [t.strip() for t in page.locator(f"table.clusters td.{column}").all_inner_texts()]


def test_clusters_filters(site: tuple[str, Ingestor], browser: Browser) -> None:  # noqa: F811
    base, _ = site
    page, dialogs = _page(browser)
    page.goto(base + "/clusters")
    page.fill('input[name="min_size"]', "1")
    page.fill('input[name="min_reuse"]', "50")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/clusters?*min_reuse=50*")
    expected = _api(base, "/api/clusters", min_size=1, min_reuse=50, per_page=200)
    reuse = _cells(page, "reuse")
    assert expected["total"] >= 1 and len(reuse) == expected["total"]
    assert all(int(r.rstrip("%")) >= 50 for r in reuse)
    assert "1" in _cells(page, "size"), "a singleton that reuses half its text is listed"
    _shot(page, "clusters-reuse")

    page.fill('input[name="min_reuse"]', "0")
    page.fill('input[name="since"]', "2019-01-01")
    page.fill('input[name="until"]', "2021-12-31")
    page.fill('input[name="max_size"]', "1")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/clusters?*since=2019-01-01*")
    dated = _api(base, "/api/clusters", min_size=1, max_size=1, since="2019-01-01", until="2021-12-31",
                 per_page=200)
    assert dated["total"] >= 1 and page.locator("#total").inner_text() == str(dated["total"])
    assert _cells(page, "size") == ["1"] * dated["total"]
    assert all("2019-01-01" <= d <= "2021-12-31" for d in _cells(page, "dates"))
    site_name = dated["rows"][0]["sites"][0]
    page.fill('input[name="site"]', site_name)
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/clusters?*site=*")
    assert _cells(page, "sites") and set(_cells(page, "sites")) == {site_name}
    page.locator("table.clusters th a", has_text="reuse").click()  # sorting keeps the filters
    page.wait_for_url("**sort=reuse*")
    assert set(_cells(page, "sites")) == {site_name}
    assert page.input_value('input[name="since"]') == "2019-01-01"
    assert dialogs == []


def _differing(base: str) -> tuple[str, str, dict[str, Any]]:
    """A reused span that differs from its source somewhere: its document, source and span."""
    for row in _api(base, "/api/clusters", min_size=1, per_page=200)["rows"]:
        for member in _api(base, f"/api/clusters/{row['id']}")["members"]:
            view = _api(base, f"/api/documents/{member['id']}")
            for span in view["spans"]:
                if span["differs"]:
                    return member["id"], span["source"]["id"], view
    raise AssertionError("no reused span differs from its source")


def test_character_level_differences(site: tuple[str, Ingestor], browser: Browser) -> None:  # noqa: F811
    base, _ = site
    doc_id, source_id, view = _differing(base)
    page, dialogs = _page(browser)
    page.goto(f"{base}/documents/{doc_id}/compare/{source_id}")
    pairs = _api(base, f"/api/documents/{doc_id}/compare/{source_id}")["alignments"]
    left = [view["text"][lo:hi] for p in pairs for lo, hi in p["a_differs"]]
    assert left and page.locator("#left a.aligned mark.diff").all_inner_texts() == left
    right_text = _api(base, f"/api/documents/{source_id}")["text"]
    right = [right_text[lo:hi] for p in pairs for lo, hi in p["b_differs"]]
    assert page.locator("#right a.aligned mark.diff").all_inner_texts() == right
    marked = _background(page, "#left a.aligned mark.diff")
    assert marked not in (TRANSPARENT, _background(page, "#left a.aligned"))
    _shot(page, "compare-diff")

    page.goto(f"{base}/documents/{doc_id}")
    expected = [view["text"][lo:hi] for s in view["spans"] for lo, hi in s["differs"]]
    shown = page.locator("#text a.span.reused mark.diff").all_inner_texts()
    assert shown and set(shown) <= set(expected)
    assert _background(page, "#text a.span.reused mark.diff") != _background(page, "#text a.span.reused")
    _shot(page, "document-diff")
    assert dialogs == []


def test_touching_spans_show_their_own_edges(site: tuple[str, Ingestor], browser: Browser) -> None:  # noqa: F811
    base, ingestor = site
    doc_id, touching = touching_spans(
        ingestor.store.document_ids(), lambda d: _api(base, f"/api/documents/{d}")["spans"]
    )
    page, _ = _page(browser)
    page.goto(f"{base}/documents/{doc_id}")
    for i in touching:
        one, two = page.locator(f"#span-{i}"), page.locator(f"#span-{i + 1}")
        colours = [s.evaluate("e => getComputedStyle(e).backgroundColor") for s in (one, two)]
        assert colours[0] != colours[1] and TRANSPARENT not in colours
        assert two.evaluate("e => getComputedStyle(e).boxShadow") != "none"  # its own left edge
    _shot(page, "document-spans")
