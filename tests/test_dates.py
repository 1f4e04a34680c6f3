"""Publication dates as evidence: read whole (htmldate reads 2023年5月6日 as 2023-01-01), strongest
evidence first (structured data, byline, body), implausible dates not trusted, with the reason."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dedup import dates
from dedup.dates import DateEvidence, PublishedDate, UntrustedDate, choose, given_first, parse_date
from dedup.page_metadata import page_metadata
from synthetic.corpus import generate
from tests.engine_stack import stores
from tests.web_data import KEYS, import_lines
from workers.cli import app
from workers.stores.store import Store, StoredDocument
from workers.web import create_app

CAPTURED = datetime(2024, 5, 2, 3, 0, tzinfo=UTC)
OPENING = (
    "同志们：今天我们召开全县教育工作会议，"
    "主要任务是回顾总结去年的教育工作，分析当前形势，部署今年的重点任务。"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年3月16日上午", date(2019, 3, 16)),
        ("2023年5月6日", date(2023, 5, 6)),
        ("2023 年 05 月 06 日", date(2023, 5, 6)),
        ("发布时间：2018-08-02 10:21", date(2018, 8, 2)),
        ("2020/1/2", date(2020, 1, 2)),
        ("2021.12.31", date(2021, 12, 31)),
        ("２０２１年１２月３１日", date(2021, 12, 31)),
        ("二〇一九年三月十六日", date(2019, 3, 16)),
        ("二〇二〇年十二月三十一日", date(2020, 12, 31)),
        ("二〇二〇年十月二十日", date(2020, 10, 20)),
        ("2019年2月30日 and then 2019年3月1日", date(2019, 3, 1)),
        ("1899年1月1日", None),
        ("编号 20190316", None),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def _page(*, head: str = "", byline: str = "", body: str = "") -> str:
    return (
        f"<html><head><title>讲话 - 某网</title>{head}</head><body><div class='nav'>首页</div>"
        f"<h1>在全县教育工作会议上的讲话</h1><div class='info'>{byline}</div>"
        f"<div class='content'><p>{OPENING}</p>{body}</div></body></html>"
    )


def _found(html: str) -> tuple[DateEvidence, ...]:
    return page_metadata(html, "https://www.example.cn/a.html").dates


def test_structured_data_beats_a_labelled_date_in_the_body() -> None:
    """The issue's case: a 2020-05-01 copy quoting a 2019-04-08 date must stay 2020-05-01."""
    html = _page(
        head='<meta property="article:published_time" content="2020-05-01T09:30:00+08:00">',
        body="<p>原文发布时间：2019-04-08 14:31</p>",
    )
    assert choose(_found(html), CAPTURED) == PublishedDate(date(2020, 5, 1), dates.STRUCTURED)
    assert page_metadata(html).published == date(2020, 5, 1)


def test_json_ld_then_meta_then_byline_then_body() -> None:
    html = _page(
        head='<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-03-04"}'
        '</script><meta name="PubDate" content="2021-03-05 10:00">',
        byline="发布时间：2021-03-06 来源：本网",
        body="<p>日期：2021-03-07</p>",
    )
    assert _found(html) == (
        DateEvidence(date(2021, 3, 4), dates.STRUCTURED),
        DateEvidence(date(2021, 3, 5), dates.STRUCTURED),
        DateEvidence(date(2021, 3, 6), dates.BYLINE),
        DateEvidence(date(2021, 3, 7), dates.BODY),
    )


def test_a_byline_beats_the_body_and_an_unlabelled_byline_date_counts() -> None:
    labelled = _page(
        byline="<span>时间:</span><span>2019-04-08 14:31:23</span>", body="<p>日期：2018-01-02</p>"
    )
    assert choose(_found(labelled)) == PublishedDate(date(2019, 4, 8), dates.BYLINE)
    bare = _page(byline="<span>乔立龙</span> <span>2019年3月16日</span>", body="<p>日期：2018-01-02</p>")
    assert choose(_found(bare)) == PublishedDate(date(2019, 3, 16), dates.BYLINE)
    # a date inside a long first paragraph is the meeting's, not a byline
    meeting = "<p>2019年3月16日上午，全县教育工作会议在县委礼堂召开，会议总结了一年来的教育工作。</p>"
    assert _found(_page(byline=meeting)) == ()


@pytest.mark.parametrize(
    ("structured", "reason"),
    [
        ("9999-12-31", dates.AFTER_CAPTURE),
        ("0001-01-01", dates.BEFORE_1990),
        ("2024-05-04", dates.AFTER_CAPTURE),
    ],
)
def test_implausible_dates_are_not_trusted_and_the_next_evidence_wins(structured: str, reason: str) -> None:
    html = _page(
        head=f'<meta property="article:published_time" content="{structured}">', byline="发布日期：2020-01-02"
    )
    chosen = choose(_found(html), CAPTURED)
    untrusted = UntrustedDate(date.fromisoformat(structured), dates.STRUCTURED, reason)
    assert chosen == PublishedDate(date(2020, 1, 2), dates.BYLINE, (untrusted,))


def test_with_no_plausible_date_the_capture_time_orders_the_document() -> None:
    html = _page(head='<meta name="pubdate" content="2031-01-01">', byline="发布时间：1985年7月1日")
    chosen = choose(_found(html), CAPTURED)
    assert (chosen.day, chosen.evidence) == (None, dates.CAPTURE)
    assert [(u.day, u.reason) for u in chosen.untrusted] == [
        (date(2031, 1, 1), dates.AFTER_CAPTURE),
        (date(1985, 7, 1), dates.BEFORE_1990),
    ]


def test_a_day_of_slack_for_time_zones_and_no_upper_bound_without_a_capture_time() -> None:
    next_day = DateEvidence(date(2024, 5, 3), dates.STRUCTURED)  # UTC+8 morning of a UTC capture
    assert choose([next_day], CAPTURED).day == date(2024, 5, 3)
    assert choose([DateEvidence(date(2031, 1, 1), dates.BODY)]).day == date(2031, 1, 1)


def test_an_import_records_own_date_comes_first_and_is_checked_too() -> None:
    page = (DateEvidence(date(2020, 1, 2), dates.BYLINE),)
    assert given_first(date(2019, 1, 1), page)[0] == DateEvidence(date(2019, 1, 1), dates.GIVEN)
    assert given_first(None, page) == page
    chosen = choose(given_first(date(9999, 12, 31), page), CAPTURED)
    assert (chosen.day, chosen.evidence, chosen.untrusted[0].reason) == (
        date(2020, 1, 2),
        dates.BYLINE,
        dates.AFTER_CAPTURE,
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h1>题</h1><span>发布时间：2018-08-02 10:21</span><p>2010年1月1日 会议</p>", date(2018, 8, 2)),
        ("<div>發佈時間：2020年7月9日</div>", date(2020, 7, 9)),
        ("<div>上传时间:2022-04-28 格式:DOC</div>", date(2022, 4, 28)),
        ('<meta property="article:published_time" content="2021-06-01T08:00:00+08:00">', date(2021, 6, 1)),
        ("<p>2019年3月16日上午召开</p>", None),
        ("<span>日期：2019-13-40</span>", None),
    ],
)
def test_page_published(html: str, expected: date | None) -> None:
    assert page_metadata(html).published == expected


# --- stored with the document, shown beside the date (real ingest, real Redis) ----------------


@dataclass(frozen=True)
class Dated:
    store: Store
    client: TestClient
    env: dict[str, str]
    ids: dict[str, str]


def _article(body: str, *, meta: str = "", byline: str = "", quoted: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    return (
        f"<html><head><title>讲话</title>{meta}</head><body><h1>在全县教育工作会议上的讲话</h1>"
        f"<div class='info'>{byline}</div><div class='content'>{paragraphs}{quoted}</div></body></html>"
    )


@pytest.fixture()
def dated(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> Dated:
    """An original, a later copy quoting an earlier date, a page with an impossible meta date and
    an import record dated 0001-01-01, ingested through the real import path."""
    body = generate(1, seed=4)[0].text
    meta = '<meta property="article:published_time" content="{}">'
    pages = {
        "original": _article(body, meta=meta.format("2019-06-01T10:00:00+08:00")),
        "copy": _article(body, meta=meta.format("2020-05-01"), quoted="<p>原文发布时间：2019-04-08</p>"),
        "future": _article(body[::-1], meta=meta.format("9999-12-31"), byline="发布日期：2021-01-02"),
    }
    lines = [
        json.dumps({"url": f"https://s{i}.example.cn/{name}.html", "html": html}, ensure_ascii=False)
        for i, (name, html) in enumerate(pages.items())
    ]
    ancient = {
        "url": "https://s9.example.cn/ancient.html",
        "text": body[:400] + "。",
        "published": "0001-01-01",
    }
    lines.append(json.dumps(ancient, ensure_ascii=False))
    import_lines(redis_client, tmp_path / "warc", lines, "dated")
    store = stores(redis_client, KEYS, warc_dir=tmp_path / "warc").documents
    ids = {
        doc.url.rsplit("/", 1)[1].split(".")[0]: doc.doc_id
        for doc in store.get_many(store.document_ids())
        if doc
    }
    client = TestClient(
        create_app(stores(redis_client, KEYS, warc_dir=tmp_path / "warc"), tmp_path / "warc", "token", None)
    )
    env = {"REDIS_URL": redis_url, "DEDUPCRAWL_KEY_PREFIX": KEYS.prefix, "DEDUPCRAWL_HOME": str(tmp_path)}
    return Dated(store, client, env, ids)


def _doc(dated: Dated, name: str) -> StoredDocument:
    doc = dated.store.get(dated.ids[name])
    assert doc is not None
    return doc


def test_each_document_stores_its_date_and_where_it_came_from(dated: Dated) -> None:
    copy, future, ancient = _doc(dated, "copy"), _doc(dated, "future"), _doc(dated, "ancient")
    assert (copy.published, copy.published_from, copy.published_untrusted) == (
        date(2020, 5, 1),
        "structured",
        (),
    )
    assert (future.published, future.published_from) == (date(2021, 1, 2), dates.BYLINE)
    assert future.published_untrusted == (
        UntrustedDate(date(9999, 12, 31), dates.STRUCTURED, dates.AFTER_CAPTURE),
    )
    assert (ancient.published, ancient.published_from) == (None, dates.CAPTURE)
    assert ancient.published_untrusted == (UntrustedDate(date(1, 1, 1), dates.GIVEN, dates.BEFORE_1990),)


def test_the_trace_names_the_original_and_shows_each_dates_evidence(dated: Dated) -> None:
    result = CliRunner().invoke(app, ["trace", dated.ids["copy"], "--json"], env=dated.env)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["published"], record["published_from"]) == ("2020-05-01", dates.STRUCTURED)
    assert record["spans"]
    for span in record["spans"]:
        assert span["source"]["id"] == dated.ids["original"]
        assert (span["source"]["published"], span["source"]["published_from"]) == (
            "2019-06-01",
            dates.STRUCTURED,
        )
    shown = CliRunner().invoke(app, ["trace", dated.ids["future"]], env=dated.env)
    assert "published 2021-01-02 (byline)" in shown.stdout
    assert "not trusted: 9999-12-31 from structured data: after the capture" in " ".join(shown.stdout.split())


def test_the_document_and_cluster_pages_show_the_evidence_beside_the_date(dated: Dated) -> None:
    page = dated.client.get(f"/documents/{dated.ids['future']}").text
    assert re.search(r'id="published">2021-01-02</span> <span[^>]*id="published-from">byline</span>', page)
    assert "not trusted: 9999-12-31 from structured data: after the capture" in page
    ancient = dated.client.get(f"/documents/{dated.ids['ancient']}").text
    assert (
        "no trusted date: capture time used" in ancient
        and "0001-01-01 from given at import: before 1990" in ancient
    )
    copy = dated.client.get(f"/documents/{dated.ids['copy']}").text
    assert '2019-06-01</a> <span class="muted evidence">structured data</span>' in copy  # its source
    cluster_id = _doc(dated, "copy").cluster_id
    cluster = dated.client.get(f"/clusters/{cluster_id}").text
    assert cluster.count('<span class="muted evidence">structured data</span>') >= 2


PIECES = ("发布时间：", "發佈時間:", "日期", "更新日期 ", "发表于", "Published: ", "PUBLISHED", "2021-06-01",
          "2020年5月1日", "<span>", "</b> ", "时", "间", "正文", " ", "\n", "二〇二一年")


@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_labelled_dates_are_found_as_a_scan_of_the_whole_page_finds_them(pieces: list[str]) -> None:
    page = "".join(pieces)
    found = [m.span() for m in dates.labelled_matches(page)]
    assert found == [m.span() for m in dates._LABELLED.finditer(page)]
