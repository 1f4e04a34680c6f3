"""The bad-input corpus through the real service: import files (`dedupcrawl import`), the fixture
web's bad site (a real crawl, then `dedupcrawl worker`) and malformed sites files. Every kind ends
in a recorded rejection or a clear error with its reason (or is indexed cleanly where the input is
merely odd), nothing crashes, and the good documents around the bad ones are all indexed.
docs/bad-inputs.md is checked against what happened here, so the table cannot drift."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from archive.capture import CaptureRef
from archive.keys import Keys
from archive.urls import canonical_url, display_url
from archive.warc import read_page
from crawler.config import load_sites
from crawler.errors import SitesConfigError
from synthetic.corpus import generate
from synthetic.fixture_web import bad as bad_site
from synthetic.fixture_web.process import FixtureServer
from tests.bad_inputs import BASE, IMPORT_CASES, KINDS, SPEECH, ImportCase, jsonl_input_id, write_import_files
from tests.cli_process import clean_env, run_cli
from tests.crawl_runs import crawl_all
from tests.engine_stack import stores
from workers.redis.redis_server import ServerInfo
from workers.stores.store import Store

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[1] / "docs" / "bad-inputs.md"
NONE = "—"
SITE_HEAD = "[[site]]\nname = 'x'\nkind = 'news'\nstart_urls = ['https://a.example/']\n"


@dataclass
class Outcomes:
    imported: dict[str, str] = field(default_factory=dict)
    crawled: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def outcomes() -> Outcomes:
    return Outcomes()


def _import_url(case: ImportCase) -> str:
    if case.form == "html":
        return f"https://import.invalid/{case.kind}.html"
    return case.url or f"{BASE}/{case.kind}"


def _indexed_note(kind: str, display: str, speech: str = SPEECH) -> str:
    """What an indexed odd input looks like once stored: its text must be clean."""
    first_line = speech.split("\n", 1)[0][:30]
    if kind in ("wrong_charset", "absent_charset", "mixed_encodings"):
        return "indexed, decoded right" if first_line in display else "indexed, MIS-DECODED"
    if kind == "nul_bytes":
        return "indexed, NUL bytes dropped" if "\x00" not in display else "indexed, NUL KEPT"
    return "indexed"


def import_outcome(store: Store, case: ImportCase, jsonl: Path) -> str:
    url = _import_url(case)
    by_url = [r for r in store.rejections() if r.url == url]
    if case.form == "jsonl" and not by_url:
        found = store.rejection(jsonl_input_id(jsonl, case.kind))
        by_url = [found] if found else []
    content_type = dict(case.headers).get("Content-Type", "")
    if not by_url and "html" not in content_type:  # counted in the file's not_html rejection
        by_url = [r for r in store.rejections() if r.reason == "not_html" and content_type in r.detail]
    if by_url:
        return f"rejected at {by_url[0].stage}: `{by_url[0].reason}`"
    doc = store.find(url)
    return _indexed_note(case.kind, doc.display) if doc else "MISSING"


@pytest.fixture(scope="module")
def imported(
    redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, Path]]:
    home = tmp_path_factory.mktemp("bad-import")
    good = [{"url": d.url, "text": d.noisy, "title": d.title} for d in generate(8, seed=9)]
    files = write_import_files(home / "in", good)
    env = clean_env(
        DEDUPCRAWL_HOME=str(home / "home"), REDIS_URL=redis_server.url, DEDUPCRAWL_KEY_PREFIX="bad"
    )
    connection = redis.Redis.from_url(redis_server.url)
    for key in [k for pattern in Keys("bad").patterns for k in connection.scan_iter(match=pattern)]:
        connection.delete(key)
    for path in files.values():
        result = run_cli("import", str(path), "--json", env=env, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
    store = stores(connection, Keys("bad"), warc_dir=home / "home" / "warc").documents
    yield store, files["jsonl"]
    connection.close()


def test_every_bad_import_is_rejected_with_a_reason_or_indexed_clean(
    imported: tuple[Store, Path], outcomes: Outcomes
) -> None:
    store, jsonl = imported
    for case in IMPORT_CASES:
        outcomes.imported[case.kind] = import_outcome(store, case, jsonl)
    assert not [k for k, v in outcomes.imported.items() if "MISSING" in v or "MIS-" in v]


def test_good_documents_around_bad_imports_are_all_indexed(imported: tuple[Store, Path]) -> None:
    store, _ = imported
    good = {d.url for d in generate(8, seed=9)}
    stored = {d.url for d in store.get_many(store.document_ids()) if d}
    assert good <= stored


MALFORMED_SITES = {  # the file's text -> what the one-line error must mention
    "bad TOML": ("[[site]\nname = 'x'", "not valid TOML"),
    "unknown field": (f"{SITE_HEAD}bogus = 1\n", "unknown field"),
    "bad regex": (f"{SITE_HEAD}document_patterns = ['(']\n", "document_patterns"),
    "bad URL": ("[[site]]\nname = 'x'\nkind = 'news'\nstart_urls = ['ftp://a.example/']\n", "start_urls"),
    "not UTF-8": ("\udcff[[site]]", "cannot read"),
}


def test_malformed_sites_files_give_one_clear_error(tmp_path: Path, outcomes: Outcomes) -> None:
    for name, (text, mention) in MALFORMED_SITES.items():
        path = tmp_path / f"{name.replace(' ', '_')}.toml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        with pytest.raises(SitesConfigError) as caught:
            load_sites(path)
        assert mention in str(caught.value) and "\n" not in str(caught.value), (name, str(caught.value))
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"))
    result = run_cli("crawl", "x", "--sites", str(tmp_path / "bad_TOML.toml"), env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "not valid TOML" in result.stderr
    kinds = ", ".join(MALFORMED_SITES)
    outcomes.crawled["malformed_sites_file"] = (
        f"one-line `SitesConfigError` naming the field, exit 2 ({kinds})"
    )


# Server behaviours leave no document: their outcome is the crawl run's error counts.
CRAWL_ERRORS = {  # kind -> the crawl run's error count it must show up in, and how many
    "redirect_loop": ("redirect_limit", 1),
    "server_errors": ("http_5", 3),
    "slow_loris": ("exception:DownloadTimeoutError", 1),
    "private_redirect": ("refused:private_address", len(bad_site.PRIVATE_TARGETS)),
    "no_address_redirect": ("refused:no_host", 1),
    "page_50mb": ("exception:DownloadCancelledError", 1),
    "gzip_bomb": ("too_large", 2),
    "brotli_bomb": ("too_large", 2),
}


@dataclass
class Crawled:
    base: str
    run: dict[str, Any]
    store: Store
    requests: list[str]
    worker_log: str
    warc_dir: Path


@pytest.fixture(scope="module")
def crawled(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """A real crawl of the bad site, then a real `dedupcrawl worker --burst` on what it handed off."""
    home = tmp_path_factory.mktemp("bad-crawl")
    connection = redis.Redis.from_url(redis_server.url)
    patterns = (*Keys("badcrawl").patterns, "rq:*")
    for key in [k for pattern in patterns for k in connection.scan_iter(match=pattern)]:
        connection.delete(key)
    with FixtureServer(docs=3, seed=5, crawl_delay=0.0, slow_s=0.1) as web:
        sites = web.write_sites(home / "sites.toml")
        runs = crawl_all(["fixture-bad"], sites, redis_server.url, "badcrawl", home / "warc")
        requests, base = [entry["path"] for entry in web.log()], web.url
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_server.url, DEDUPCRAWL_KEY_PREFIX="badcrawl")
    worker = run_cli("worker", "--burst", "--queues", "ingest", env=env, timeout=300)
    assert worker.returncode == 0, worker.stderr[-3000:]
    store = stores(connection, Keys("badcrawl"), warc_dir=home / "warc").documents
    yield Crawled(base, runs["fixture-bad"], store, requests, worker.stdout + worker.stderr, home / "warc")
    connection.close()


def crawl_outcome(crawled: Crawled, kind: str, base: str) -> str:
    urls = [f"{base}/bad/doc/{kind}.html"]
    for url in urls:
        doc = crawled.store.find(url)
        if doc is not None:
            return _indexed_note(kind, doc.display, bad_site.speech())
        rejection = next((r for r in crawled.store.rejections() if r.url == url), None)
        if rejection is not None:
            return f"rejected at {rejection.stage}: `{rejection.reason}`"
    errors = crawled.run["stats"]["errors"]
    prefix, count = CRAWL_ERRORS.get(kind, ("\0", 0))
    found = {k: v for k, v in errors.items() if k.startswith(prefix)}
    if not found or sum(found.values()) != count:
        return f"NOT RECORDED ({prefix}: {found})"
    return "crawl error " + ", ".join(f"`{k}`" for k in sorted(found))


def test_every_bad_page_is_rejected_or_counted_and_nothing_crashes(
    crawled: Crawled, outcomes: Outcomes
) -> None:
    base = crawled.base
    assert "Traceback" not in crawled.worker_log
    assert not [k for k in crawled.run["stats"]["errors"] if k.startswith("spider_exception")]
    web_kinds = [k for k in KINDS if k in bad_site.PAGES or k in CRAWL_ERRORS]
    for kind in web_kinds:
        outcomes.crawled[kind] = crawl_outcome(crawled, kind, base)
    assert not [k for k, v in outcomes.crawled.items() if "NOT RECORDED" in v or "MIS-" in v], (
        outcomes.crawled
    )


def test_good_pages_of_the_bad_site_are_indexed(crawled: Crawled) -> None:
    stored = {d.url.rsplit("/", 1)[-1] for d in crawled.store.get_many(crawled.store.document_ids()) if d}
    assert {f"good_{n}.html" for n in range(bad_site.GOOD_DOCS)} <= stored


def test_a_page_at_a_chinese_path_is_archived_and_indexed(crawled: Crawled) -> None:
    """An IRI (#16): requested, archived and stored percent-encoded, found by either spelling."""
    iri = f"{crawled.base}/bad/doc/{bad_site.IRI_DOC}.html"
    doc = crawled.store.find(iri)
    assert doc is not None, [r for r in crawled.store.rejections() if "%" in r.url]
    assert doc.url == canonical_url(iri) != iri and display_url(doc.url) == iri
    assert crawled.store.find(doc.url) == doc
    page = read_page(crawled.warc_dir, CaptureRef.from_dict(doc.captures[0]))
    assert page.url == doc.url and "讲话稿" in page.body.decode("utf-8")


def test_odd_links_and_private_targets_are_never_requested(crawled: Crawled) -> None:
    """Every private target is refused before it is requested: `localhost` is this fixture server,
    so a leak would put its `ssrf` request in the server's log; 127.0.0.2 (spelled as numbers) has
    no server, so a leak would be a connection error instead of a refusal in the counts."""
    assert all(path.startswith(("/bad/", "/robots.txt")) for path in crawled.requests), crawled.requests
    assert not [path for path in crawled.requests if "ssrf" in path]
    assert crawled.run["stats"]["errors"].get("refused:private_address", 0) == len(bad_site.PRIVATE_TARGETS)


def table(outcomes: Outcomes) -> str:
    rows = ["| Kind | Input | Crawled from the fixture web | Imported |", "|---|---|---|---|"]
    for kind, what in KINDS.items():
        crawled, imported = outcomes.crawled.get(kind, NONE), outcomes.imported.get(kind, NONE)
        rows.append(f"| `{kind}` | {what} | {crawled} | {imported} |")
    return "\n".join(rows)


def test_docs_table_matches_what_happened(outcomes: Outcomes) -> None:
    """Runs last in this module: the other tests filled `outcomes`."""
    expected = table(outcomes)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    found = re.search(r"<!-- table -->\n(.*?)\n<!-- /table -->", text, re.S)
    assert found and found.group(1).strip() == expected.strip(), (
        f"docs/bad-inputs.md should hold:\n{expected}"
    )
