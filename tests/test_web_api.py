"""Every route of the web app against a real redis-server holding data from the real ingest path."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue
from warcio.archiveiterator import ArchiveIterator

from archive.capture import CaptureRef
from archive.warc import read_page
from crawler.queues import CRAWL
from crawler.runs import RunStore
from dedup.align import align
from dedup.provenance import trace
from dedup.records import Page
from tests.engine_stack import ENGINE, new_ingestor, stores
from tests.web_data import HOSTILE_TITLE, HOSTILE_URL, KEYS, build, touching_spans
from workers.read.catalog import Catalog, ClusterQuery
from workers.redis.redis_server import ServerInfo
from workers.stores.cluster_store import ClusterStore
from workers.stores.store import Store
from workers.web import create_app
from workers.web.pages import charset

TOKEN = "s3cret-token"
SITES = Path(__file__).resolve().parents[1] / "examples" / "sites.toml"


@dataclass
class Demo:
    connection: redis.Redis
    warc: Path
    store: Store
    clusters: ClusterStore
    client: TestClient


@pytest.fixture(scope="module")
def demo(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Read-only tests share one demo store (built once through the ingest pipeline)."""
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    warc = tmp_path_factory.mktemp("web") / "warc"
    build(connection, warc, n_docs=40)
    ingestor = new_ingestor(connection, KEYS, warc)
    client = TestClient(create_app(stores(connection, KEYS, warc_dir=warc), warc, TOKEN, SITES))
    yield Demo(connection, warc, ingestor.store, ingestor.clusters, client)
    connection.close()


@pytest.fixture()
def fresh(redis_client: redis.Redis, tmp_path: Path) -> Demo:
    """A private store for tests that change state."""
    build(redis_client, tmp_path / "warc", n_docs=16, seed=3)
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    client = TestClient(
        create_app(stores(redis_client, KEYS, warc_dir=tmp_path / "warc"), tmp_path / "warc", TOKEN, SITES)
    )
    return Demo(redis_client, tmp_path / "warc", ingestor.store, ingestor.clusters, client)


def _largest(demo: Demo) -> str:
    return demo.clusters.largest(1)[0][0]


def _reusing_doc(demo: Demo) -> str:
    """A document with at least one traced source."""
    for doc_id in demo.store.document_ids():
        doc = demo.store.get(doc_id)
        if doc and trace(doc.witness, len(doc.display), demo.store.alignments(doc_id)).spans:
            return doc_id
    raise AssertionError("the demo corpus has no reused passage")


def test_dashboard_counts_match_the_store(demo: Demo) -> None:
    board = demo.client.get("/api/dashboard").json()
    assert board["documents"] == demo.store.count_documents()
    sizes = [int(s) for _, s in demo.connection.zrange(KEYS.clusters, 0, -1, withscores=True)]
    assert board["clusters"] == sum(s >= 2 for s in sizes) and board["singletons"] == sizes.count(1)
    assert board["rejections"] == demo.store.stats("rejected")
    assert any(k.endswith(":bad_json") for k in board["rejections"])
    assert set(board["queues"]) == {"crawl", "ingest", "trace"}
    page = demo.client.get("/")
    assert page.status_code == 200 and f"<b>{board['documents']}</b> documents" in page.text
    assert "bad_json" in page.text


def test_clusters_sort_filter_and_paginate(demo: Demo) -> None:
    rows = demo.client.get("/api/clusters", params={"per_page": 200}).json()
    sizes = [r["size"] for r in rows["rows"]]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) >= 2
    assert rows["total"] == int(demo.connection.zcount(KEYS.clusters, 2, "+inf"))
    everything = demo.client.get("/api/clusters", params={"min_size": 1, "per_page": 200}).json()
    assert everything["total"] == demo.connection.zcard(KEYS.clusters)
    by_title = demo.client.get("/api/clusters", params={"sort": "title", "order": "asc"}).json()["rows"]
    titles = [r["representative"]["title"] or "" for r in by_title]
    assert titles == sorted(titles)
    site = rows["rows"][0]["sites"][0]
    filtered = demo.client.get("/api/clusters", params={"site": site, "per_page": 200}).json()["rows"]
    assert filtered and all(site in r["sites"] for r in filtered)
    second = demo.client.get("/api/clusters", params={"per_page": 1, "page": 2}).json()
    assert second["rows"] == rows["rows"][1:2] and second["total"] == rows["total"]
    page = demo.client.get("/clusters", params={"per_page": 1})
    assert page.status_code == 200 and f'href="/clusters/{rows["rows"][0]["id"]}"' in page.text
    assert "page 1 of" in page.text and "next →" in page.text


def test_cluster_members_similarity_and_slots(demo: Demo) -> None:
    cluster_id = _largest(demo)
    detail = demo.client.get(f"/api/clusters/{cluster_id}").json()
    info = demo.clusters.cluster(cluster_id)
    assert info is not None
    assert {m["id"] for m in detail["members"]} == {m.doc_id for m in demo.clusters.members(cluster_id)}
    assert detail["members"][0]["id"] == info.representative and detail["members"][0]["representative"]
    assert all(0 <= m["jaccard"] <= m["containment"] <= 1 for m in detail["members"])
    assert detail["slots"], "a template family should have slots (names, years)"
    for slot in detail["slots"]:
        assert set(slot["values"]) <= set(detail["slot_members"])
        assert f"{{{{{slot['index']}}}}}" in detail["template"]
    page = demo.client.get(f"/clusters/{cluster_id}").text
    for member in detail["members"]:
        assert f'href="/documents/{member["id"]}"' in page
    assert demo.client.get("/api/clusters/nope").status_code == 404
    assert demo.client.get("/clusters/nope").status_code == 404


def test_document_spans_match_the_stored_trace(demo: Demo) -> None:
    doc_id = _reusing_doc(demo)
    doc = demo.store.get(doc_id)
    assert doc is not None
    traced = trace(doc.witness, len(doc.display), demo.store.alignments(doc_id))
    view = demo.client.get(f"/api/documents/{doc_id}").json()
    assert view["text"] == doc.display
    assert [(s["start"], s["end"], s["source"]["id"]) for s in view["spans"]] == [
        (s.start, s.end, s.source.witness.doc_id) for s in traced.spans
    ]
    assert [s["id"] for s in view["sources"]] == list(traced.sources)
    assert view["reuse_ratio"] == pytest.approx(traced.reuse_ratio, abs=1e-4)
    page = demo.client.get(f"/documents/{doc_id}").text
    marked = re.findall(r'<a class="span reused(?: alt)?" id="span-(\d+)" href="/documents/(\w+)"', page)
    expected = [(i, s.source.witness.doc_id) for i, s in enumerate(traced.spans)]
    assert [(int(i), src) for i, src in marked] == expected
    assert demo.client.get("/api/documents/nope").status_code == 404
    assert demo.client.get("/documents/nope").status_code == 404


def test_side_by_side_shows_the_stored_alignments(demo: Demo) -> None:
    doc_id = _reusing_doc(demo)
    source = demo.client.get(f"/api/documents/{doc_id}").json()["sources"][0]["id"]
    stored = [al for w, al in demo.store.alignments(doc_id) if w.doc_id == source]
    view = demo.client.get(f"/api/documents/{doc_id}/compare/{source}").json()
    assert sorted((a["a_start"], a["a_end"], a["b_start"], a["b_end"]) for a in view["alignments"]) == sorted(
        (a.a_start, a.a_end, a.b_start, a.b_end) for a in stored
    )
    page = demo.client.get(f"/documents/{doc_id}/compare/{source}").text
    assert 'id="a0" href="#b0"' in page and 'id="b0" href="#a0"' in page
    assert demo.client.get(f"/documents/{doc_id}/compare/nope").status_code == 404
    assert demo.client.get(f"/api/documents/nope/compare/{source}").status_code == 404


def test_a_pair_never_aligned_is_aligned_for_the_comparison(demo: Demo) -> None:
    docs = [d for d in demo.store.get_many(demo.store.document_ids()) if d is not None]
    doc, other, expected = next(
        (a, b, found) for a in docs for b in docs
        if a is not b and not any(w.doc_id == b.doc_id for w, _ in demo.store.alignments(a.doc_id))
        and (found := align(a.norm(), b.norm(), ENGINE.align))
    )
    doc_id, other_id = doc.doc_id, other.doc_id
    view = demo.client.get(f"/api/documents/{doc_id}/compare/{other_id}").json()
    assert expected and view["stored"] is False
    assert [(p["a_start"], p["a_end"], p["b_start"], p["b_end"]) for p in view["alignments"]] == sorted(
        (a.a_start, a.a_end, a.b_start, a.b_end) for a in expected
    )
    page = demo.client.get(f"/documents/{doc_id}/compare/{other_id}").text
    assert "aligned now for this view" in page and 'id="a0"' in page


def test_archived_capture_is_served_as_sandboxed_text(demo: Demo) -> None:
    doc = demo.store.find(HOSTILE_URL)
    assert doc is not None
    response = demo.client.get(f"/documents/{doc.doc_id}/captures/0")
    assert response.status_code == 200
    assert response.content == read_page(demo.warc, CaptureRef.from_dict(dict(doc.captures[0]))).body
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert demo.client.get(f"/documents/{doc.doc_id}/captures/7").status_code == 404


def test_hostile_text_is_escaped_and_scripts_are_forbidden(demo: Demo) -> None:
    doc = demo.store.find(HOSTILE_URL)
    assert doc is not None and doc.title == HOSTILE_TITLE
    for path in (f"/documents/{doc.doc_id}", "/search?q=evil.example", f"/clusters/{doc.cluster_id}"):
        response = demo.client.get(path)
        assert "<script>document" not in response.text and "<img src=x" not in response.text
        assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none' applies
        assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "&lt;script&gt;document.title" in demo.client.get(f"/documents/{doc.doc_id}").text


def test_search_by_title_url_and_phrase(demo: Demo) -> None:
    doc = demo.store.get(demo.store.document_ids()[3])
    assert doc is not None and doc.title
    by_title = demo.client.get("/api/search", params={"q": doc.title}).json()["hits"]
    assert doc.doc_id in {h["id"] for h in by_title if h["matched"] == "title"}
    by_url = demo.client.get("/api/search", params={"q": doc.url.split("/")[-1]}).json()["hits"]
    assert doc.doc_id in {h["id"] for h in by_url}
    phrase = doc.display[len(doc.display) // 2 :][:30].strip()
    hits = demo.client.get("/api/search", params={"q": phrase}).json()["hits"]
    text_hits = {h["id"] for h in hits if h["matched"] == "text"}
    assert doc.doc_id in text_hits
    for hit in text_hits:
        found = demo.store.get(hit)
        assert found is not None and phrase in found.display
    short = demo.client.get("/api/search", params={"q": "会议"}).json()
    assert "at least" in short["note"]
    assert demo.client.get("/search", params={"q": doc.title}).status_code == 200


def test_metrics_health_and_schema(demo: Demo) -> None:
    metrics = demo.client.get("/metrics").text
    assert f"dedupcrawl_documents {float(demo.store.count_documents())}" in metrics
    assert demo.client.get("/healthz").json() == {"ok": True}
    paths = demo.client.get("/openapi.json").json()["paths"]
    for path in ("/api/dashboard", "/api/clusters", "/api/clusters/{cluster_id}", "/api/documents/{doc_id}",
                 "/api/documents/{doc_id}/compare/{other_id}", "/api/search", "/api/crawls"):
        assert path in paths
    assert demo.client.get("/static/style.css").status_code == 200


def _rows(demo: Demo, **params: object) -> list[dict[str, Any]]:
    listing = demo.client.get("/api/clusters", params={"per_page": 200, **params}).json()
    rows: list[dict[str, Any]] = listing["rows"]
    return rows


def _fresh_reuse(demo: Demo, doc_id: str) -> float:
    doc = demo.store.get(doc_id)
    assert doc is not None
    return trace(doc.witness, len(doc.display), demo.store.alignments(doc_id)).reuse_ratio


def test_clusters_list_has_reuse_similarity_sites_and_dates(demo: Demo) -> None:
    rows = _rows(demo, min_size=1)
    assert len(rows) == demo.connection.zcard(KEYS.clusters)
    for row in rows:
        rep = row["representative"]["id"]
        assert row["reuse"] == pytest.approx(_fresh_reuse(demo, rep), abs=1e-4)  # traced now, not at ingest
        members = demo.clusters.members(row["id"])
        jaccards = [e.jaccard for m in members for e in m.edges]
        assert row["similarity"] == ([min(jaccards), max(jaccards)] if jaccards else None)
        docs = [demo.store.get(m.doc_id) for m in members]
        assert row["sites"] == sorted({d.site for d in docs if d})
        days = sorted(d.published.isoformat() for d in docs if d and d.published)
        assert (row["first"], row["last"]) == (days[0], days[-1])
    assert any(r["size"] == 1 and r["reuse"] >= 0.5 for r in rows), "the corpus has a singleton that reuses"
    page = demo.client.get("/clusters", params={"min_size": 1, "per_page": 200}).text
    shown = re.findall(r'<td class="num reuse">(\d+)%</td>', page)
    assert [int(p) for p in shown] == [round(r["reuse"] * 100) for r in rows]


def test_clusters_filters_by_size_site_dates_and_reuse(demo: Demo) -> None:
    everything = _rows(demo, min_size=1)
    reusing = _rows(demo, min_size=1, min_reuse=50)
    assert reusing and {r["id"] for r in reusing} == {r["id"] for r in everything if r["reuse"] >= 0.5}
    singletons = _rows(demo, min_size=1, max_size=1)
    assert {r["id"] for r in singletons} == {r["id"] for r in everything if r["size"] == 1}
    by_reuse = _rows(demo, min_size=1, sort="reuse")
    assert [r["reuse"] for r in by_reuse] == sorted((r["reuse"] for r in everything), reverse=True)
    site = everything[0]["sites"][-1]
    since, until = "2019-01-01", "2021-12-31"
    dated = _rows(demo, min_size=1, site=site, since=since, until=until)
    expected = set()
    for row in everything:
        days = [m.published.isoformat() for m in demo.clusters.members(row["id"]) if m.published]
        if site in row["sites"] and any(since <= d <= until for d in days):
            expected.add(row["id"])
    assert dated and {r["id"] for r in dated} == expected
    page = demo.client.get("/clusters", params={"min_size": 1, "min_reuse": 50, "since": "", "until": ""})
    assert page.status_code == 200 and f'<span id="total">{len(reusing)}</span>' in page.text
    assert 'name="min_reuse"' in page.text and 'value="50"' in page.text
    bad = demo.client.get("/api/clusters", params={"since": "last week"})
    assert bad.status_code == 422


def test_the_clusters_list_costs_a_few_round_trips_however_many_rows(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request to Redis (a command or a whole pipeline) is one packed send."""
    sends = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self: redis.connection.AbstractConnection, command: Any, check_health: bool = True) -> None:
        sends.append(1)
        original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    catalog = Catalog(stores(demo.connection, KEYS, warc_dir=demo.warc))
    catalog.cluster_page(ClusterQuery(min_size=1, per_page=1))  # a process looks a text file's id up once
    costs = {}
    for name, query in {
        "size page": ClusterQuery(min_size=1, per_page=2),
        "size, all": ClusterQuery(min_size=1, per_page=200),
        "filtered": ClusterQuery(min_size=1, site="wenku.example.cn", since=date(2015, 1, 1), per_page=200),
        "reuse": ClusterQuery(min_size=1, min_reuse=0.01, sort="reuse", per_page=200),
    }.items():
        sends.clear()
        assert catalog.cluster_page(query).rows
        costs[name] = len(sends)
    assert costs["size page"] == costs["size, all"] and max(costs.values()) <= 7, costs


def test_cluster_page_marks_the_earliest_member_and_links_comparisons(demo: Demo) -> None:
    cluster_id = _largest(demo)
    detail = demo.client.get(f"/api/clusters/{cluster_id}").json()
    docs = [demo.store.get(m["id"]) for m in detail["members"]]
    first = min((d for d in docs if d), key=lambda d: (d.witness.order, d.doc_id))
    assert [m["id"] for m in detail["members"] if m["earliest"]] == [first.doc_id]
    page = demo.client.get(f"/clusters/{cluster_id}").text
    assert len(re.findall(r'<tr class="[^"]*earliest', page)) == 1
    row = rf'<tr class="[^"]*earliest">\s*<td><a class="member-link" href="/documents/{first.doc_id}"'
    assert re.search(row, page)
    rep = detail["representative"]
    links = re.findall(r'<a class="compare-rep" href="(/documents/\w+/compare/\w+)"', page)
    assert links == [f"/documents/{m['id']}/compare/{rep}" for m in detail["members"] if m["id"] != rep]
    assert all(demo.client.get(link).status_code == 200 for link in links)
    assert 'id="slot-legend"' in page and "no text aligned around this slot" in page


def _differing_pair(demo: Demo) -> tuple[str, str, dict[str, Any]]:
    """A document, its source, and an aligned passage in which they differ."""
    for doc_id in demo.store.document_ids():
        for source in demo.client.get(f"/api/documents/{doc_id}").json()["sources"]:
            view = demo.client.get(f"/api/documents/{doc_id}/compare/{source['id']}").json()
            for pair in view["alignments"]:
                if pair["a_differs"] and pair["b_differs"]:
                    return doc_id, source["id"], pair
    raise AssertionError("no aligned passage differs in the demo corpus")


def _agreeing(text: str, start: int, end: int, differs: list[list[int]]) -> str:
    out, at = [], start
    for lo, hi in differs:
        out.append(text[at:lo])
        at = hi
    return "".join(out) + text[at:end]


def test_character_differences_inside_aligned_passages(demo: Demo) -> None:
    doc_id, source_id, pair = _differing_pair(demo)
    doc, source = demo.store.get(doc_id), demo.store.get(source_id)
    assert doc is not None and source is not None
    a = _agreeing(doc.display, pair["a_start"], pair["a_end"], pair["a_differs"])
    b = _agreeing(source.display, pair["b_start"], pair["b_end"], pair["b_differs"])
    assert a == b  # outside the marked characters the two passages are the same text
    assert all(pair["a_start"] <= lo < hi <= pair["a_end"] for lo, hi in pair["a_differs"])
    page = demo.client.get(f"/documents/{doc_id}/compare/{source_id}").text
    left = page.split('id="left"', 1)[1].split('id="right"', 1)[0]
    marks = re.findall(r'<mark class="diff">([^<]*)</mark>', left)
    for lo, hi in pair["a_differs"]:
        assert html.escape(doc.display[lo:hi], quote=False) in marks
    view = demo.client.get(f"/api/documents/{doc_id}").json()
    differing = [s for s in view["spans"] if s["differs"]]
    assert differing, "a reused span that differs from its source"
    assert all(s["start"] <= lo < hi <= s["end"] for s in view["spans"] for lo, hi in s["differs"])
    text_page = demo.client.get(f"/documents/{doc_id}").text
    shown = re.findall(r'<mark class="diff">([^<]*)</mark>', text_page.split('id="text"', 1)[1])
    expected = [doc.display[lo:hi] for s in view["spans"] for lo, hi in s["differs"]]
    assert shown and set(shown) <= {html.escape(t, quote=False) for t in expected}


def test_adjacent_spans_from_different_sources_stay_apart(demo: Demo) -> None:
    doc_id, touching = touching_spans(
        demo.store.document_ids(), lambda d: demo.client.get(f"/api/documents/{d}").json()["spans"]
    )
    page = demo.client.get(f"/documents/{doc_id}").text
    by_span = {int(i): c for c, i in re.findall(r'<a class="(span reused(?: alt)?)" id="span-(\d+)"', page)}
    assert len(by_span) == len(demo.client.get(f"/api/documents/{doc_id}").json()["spans"])
    for i in touching:
        assert by_span[i] != by_span[i + 1], (i, by_span[i])


def test_capture_record_page_shows_status_headers_and_warc_record(demo: Demo) -> None:
    doc = demo.store.get(demo.store.document_ids()[0])
    assert doc is not None
    ref = CaptureRef.from_dict(dict(doc.captures[0]))
    with (demo.warc / ref.warc_file).open("rb") as handle:
        handle.seek(ref.offset)
        record = next(iter(ArchiveIterator(handle)))
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        warc_date = record.rec_headers.get_header("WARC-Date")
        status = record.http_headers.statusline
        headers = record.http_headers.headers
    page = demo.client.get(f"/documents/{doc.doc_id}/captures/0/record")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert f'<dd id="record-id">{html.escape(record_id)}</dd>' in text
    assert f'<dd id="record-date">{warc_date}</dd>' in text
    assert f'<b id="http-status">{html.escape(status)}</b>' in text
    for name, value in headers:
        assert f"<td>{html.escape(name)}</td><td>{html.escape(value)}</td>" in text
    assert '<pre class="body" id="body">' in text
    document_page = demo.client.get(f"/documents/{doc.doc_id}").text
    assert f'href="/documents/{doc.doc_id}/captures/0/record"' in document_page
    assert demo.client.get(f"/documents/{doc.doc_id}/captures/9/record").status_code == 404


def test_html_routes_answer_errors_with_pages_and_api_with_json(demo: Demo) -> None:
    for path, status in (("/no/such/page", 404), ("/clusters/nope", 404), ("/documents/nope/captures/0", 404),
                         ("/clusters?min_size=abc", 400), ("/clusters?since=yesterday", 400),
                         ("/search?limit=0", 400)):
        response = demo.client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in response.text and '<link rel="stylesheet"' in response.text, path
        assert "default-src 'none'" in response.headers["content-security-policy"]
    echoed = demo.client.get("/clusters", params={"since": "<script>alert(1)</script>"})
    assert echoed.status_code == 400 and "&lt;script&gt;alert(1)" in echoed.text
    assert "<script>" not in echoed.text
    api = (("/api/no/such", 404), ("/api/clusters/nope", 404), ("/api/clusters?min_size=abc", 422))
    for path, status in api:
        response = demo.client.get(path)
        assert response.status_code == status and "detail" in response.json(), path


# Tests below change state: each builds its own store (which empties the demo one), so they
# come after every test that reads the shared demo store.


def test_enqueue_crawl_needs_the_token(fresh: Demo) -> None:
    client, crawl_queue = fresh.client, Queue(CRAWL, connection=fresh.connection)
    assert client.post("/api/crawls", json={"site": "news-example"}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/crawls", json={"site": "news-example"}, headers=wrong).status_code == 401
    assert crawl_queue.count == 0
    good = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post("/api/crawls", json={"site": "news-example"}, headers=good)
    assert response.status_code == 202 and response.json()["job_id"] in crawl_queue.job_ids
    assert client.post("/api/crawls", json={"site": "no-such-site"}, headers=good).status_code == 404
    assert client.post("/crawls", data={"site": "news-example", "token": "x"}).status_code == 401
    assert client.post("/crawls", data={"site": "news-example", "token": TOKEN}).status_code == 200
    assert crawl_queue.count == 2


def test_without_a_token_configured_nothing_changes(fresh: Demo) -> None:
    readonly = TestClient(
        create_app(stores(fresh.connection, KEYS, warc_dir=fresh.warc), fresh.warc, None, None)
    )
    doc_id = fresh.store.document_ids()[0]
    anything = {"Authorization": "Bearer "}
    assert readonly.delete(f"/api/documents/{doc_id}", headers=anything).status_code == 401
    assert readonly.post("/api/crawls", json={"site": "x"}).status_code == 401
    assert "Read-only" in readonly.get("/").text
    assert fresh.store.get(doc_id) is not None


def test_delete_document_removes_it_everywhere(fresh: Demo) -> None:
    cluster_id = fresh.clusters.largest(1)[0][0]
    victim = next(m.doc_id for m in fresh.clusters.members(cluster_id))
    doc = fresh.store.get(victim)
    assert doc is not None and doc.title
    assert fresh.client.delete(f"/api/documents/{victim}").status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert fresh.client.get("/api/search", params={"q": doc.title}).json()["hits"]
    assert fresh.client.delete(f"/api/documents/{victim}", headers=bearer).json() == {"deleted": True}
    assert fresh.store.get(victim) is None and fresh.client.get(f"/api/documents/{victim}").status_code == 404
    assert victim not in {m.doc_id for m in fresh.clusters.members(cluster_id)}
    hits = fresh.client.get("/api/search", params={"q": doc.title}).json()["hits"]
    assert victim not in {h["id"] for h in hits}
    assert fresh.client.delete(f"/api/documents/{victim}", headers=bearer).status_code == 404
    other = fresh.store.document_ids()[0]
    assert fresh.client.post(f"/documents/{other}/delete", data={"token": "no"}).status_code == 401
    response = fresh.client.post(f"/documents/{other}/delete", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303 and fresh.store.get(other) is None


def test_dashboard_shows_crawl_runs_and_largest_clusters(fresh: Demo) -> None:
    runs = RunStore(fresh.connection, KEYS.prefix)
    run = runs.start("run-ok", "news-example")
    stats = {"finish_reason": "finished", "downloader/response_count": 12, "dedupcrawl/documents": 9,
             "downloader/response_status_count/404": 2}
    runs.finish(run, stats)
    runs.start("run-live", "wenku-example")
    board = fresh.client.get("/api/dashboard").json()
    by_id = {r["run_id"]: r for r in board["runs"]}
    assert by_id["run-ok"]["status"] == "succeeded" and by_id["run-ok"]["stats"]["errors"] == {"http_404": 2}
    assert by_id["run-live"]["status"] == "running"
    page = fresh.client.get("/").text
    assert "run-ok" in page and "run-live" in page
    top = fresh.clusters.largest(1)[0][0]
    assert f'href="/clusters/{top}"' in page


def test_a_failure_is_a_500_page_for_html_and_json_for_the_api(fresh: Demo) -> None:
    doc_id = fresh.store.document_ids()[0]
    fresh.connection.hdel(KEYS.doc(doc_id), "text")  # a record the read side cannot decode
    app = create_app(stores(fresh.connection, KEYS, warc_dir=fresh.warc), fresh.warc, TOKEN, SITES)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "500 Internal Server Error" in page.text and "Traceback" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    api = client.get(f"/api/documents/{doc_id}")
    assert api.status_code == 500 and api.json() == {"detail": "internal server error"}


@pytest.mark.parametrize(
    ("content_type", "override", "expected"),
    [
        ("text/html; charset=GBK", None, "gbk"),
        ("text/html", "gb18030", "gb18030"),
        ("text/html", None, "utf-8"),
        ('text/html; charset="utf-8"', None, "utf-8"),
        ("text/html", "x; script", "utf-8"),
    ],
)
def test_capture_charset_follows_the_archived_response(
    content_type: str, override: str | None, expected: str
) -> None:
    page = Page("c", "https://a.example/", b"", (("Content-Type", content_type),), encoding_override=override)
    assert charset(page) == expected
