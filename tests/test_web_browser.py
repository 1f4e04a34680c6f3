"""A real headless chromium (Debian's, driven by Playwright) walks dashboard → cluster → document.

Screenshots go to test-artifacts/. The hostile page's payloads must show as text and run nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page

from dedup.provenance import trace
from tests.browser import chromium, served
from tests.engine_stack import new_ingestor, stores
from tests.web_data import HOSTILE_TITLE, HOSTILE_URL, KEYS, build
from workers.flow.ingest import Ingestor
from workers.redis.redis_server import ServerInfo
from workers.web import create_app

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def site(
    redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Ingestor]]:
    """The demo data served by uvicorn on a free loopback port."""
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    warc = tmp_path_factory.mktemp("browser") / "warc"
    build(connection, warc, n_docs=40)
    with served(create_app(stores(connection, KEYS, warc_dir=warc), warc, None)) as base:
        yield base, new_ingestor(connection, KEYS, warc)
    connection.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _page(browser: Browser) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return page, dialogs


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_dashboard_to_cluster_to_document(site: tuple[str, Ingestor], browser: Browser) -> None:
    base, ingestor = site
    page, dialogs = _page(browser)
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Dashboard"
    _shot(page, "dashboard")
    page.click("text=clusters")
    page.wait_for_url("**/clusters")
    page.locator("a.cluster-link").first.click()
    page.wait_for_url("**/clusters/c*")
    cluster_id = page.url.rsplit("/", 1)[1]
    members = {m.doc_id for m in ingestor.clusters.members(cluster_id)}
    links = page.locator("a.member-link")
    assert links.count() == len(members) >= 2
    _shot(page, "cluster")

    # the member whose text reuses the most: its page must highlight every traced span
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    doc_id = max((h.rsplit("/", 1)[1] for h in hrefs), key=lambda d: _reuse(ingestor, d))
    page.click(f'a.member-link[href="/documents/{doc_id}"]')
    page.wait_for_url(f"**/documents/{doc_id}")
    traced = _trace(ingestor, doc_id)
    spans = page.locator("#text a.span.reused")
    assert spans.count() == len(traced.spans) > 0
    doc = ingestor.store.get(doc_id)
    assert doc is not None
    for i, span in enumerate(traced.spans):
        marked = spans.nth(i)
        assert marked.get_attribute("href") == f"/documents/{span.source.witness.doc_id}"
        assert marked.inner_text() == doc.display[span.start : span.end]
        assert marked.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    witnesses = {w.witness.doc_id for s in traced.spans for w in s.witnesses}
    hrefs = page.locator("a.witness-link").evaluate_all("es => es.map(e => e.href)")
    shown = {h.rsplit("/", 1)[1] for h in hrefs}
    assert shown == witnesses
    _shot(page, "document")

    page.locator("a.compare-link").first.click()
    page.wait_for_url("**/compare/*")
    assert page.locator("a.aligned").count() >= 2
    _shot(page, "compare")
    page.go_back()
    page.locator("#text a.span.reused").first.click()
    page.wait_for_url(f"**/documents/{traced.spans[0].source.witness.doc_id}")
    assert dialogs == []


def test_hostile_page_shows_as_text_and_runs_nothing(site: tuple[str, Ingestor], browser: Browser) -> None:
    base, ingestor = site
    doc = ingestor.store.find(HOSTILE_URL)
    assert doc is not None
    page, dialogs = _page(browser)
    for path in (f"/documents/{doc.doc_id}", "/search?q=evil.example", f"/documents/{doc.doc_id}/captures/0"):
        page.goto(base + path)
        assert page.title() != "pwned"  # what either payload would set
        assert page.locator("img[src=x]").count() == 0 and page.locator("body script").count() == 0
    page.goto(base + f"/documents/{doc.doc_id}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    _shot(page, "hostile")
    page.goto(base + f"/documents/{doc.doc_id}/captures/0")
    assert "<script>document.title='pwned'</script>" in page.locator("body").inner_text()
    assert dialogs == []


def _trace(ingestor: Ingestor, doc_id: str):  # type: ignore[no-untyped-def]
    doc = ingestor.store.get(doc_id)
    assert doc is not None
    return trace(doc.witness, len(doc.display), ingestor.store.alignments(doc_id))


def _reuse(ingestor: Ingestor, doc_id: str) -> int:
    return len(_trace(ingestor, doc_id).spans)
