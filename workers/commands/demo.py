"""`dedupcrawl demo`: the whole service on the embedded default, against the local fixture web."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import typer
from rich.console import Console

from crawler.config import load_sites
from crawler.queues import INGEST, queue
from synthetic.errors import FixtureWebError
from synthetic.fixture_web.process import FixtureServer
from workers.commands.burst import waiting
from workers.commands.loaded import settings_of
from workers.commands.progress import progress_bar
from workers.errors import ServiceError
from workers.flow.crawls import run_crawl
from workers.read.catalog import Catalog
from workers.redis.connection import Connections, connection_url, embedded_server, redis_connection
from workers.settings import Settings
from workers.stores.cluster_store import ClusterStore
from workers.stores.store import Store
from workers.stores.store_set import stores_of

console = Console(stderr=True)
DEMO_SITES = ("fixture-wenku", "fixture-news", "fixture-gov")


@dataclass(frozen=True, slots=True)
class DemoRun:
    settings: Settings
    connection: redis.Redis
    redis_url: str
    sites_file: Path


def demo(
    ctx: typer.Context,
    docs: int = typer.Option(120, "--docs", help="Documents in the fixture web."),
    seed: int = typer.Option(7, "--seed", help="Seed of the fixture web's corpus."),
    workers: int = typer.Option(2, "--workers", help="Worker processes draining the queue."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Crawl the local fixture web, drain the queue with workers, and summarize what was found.

    The demo keeps its data in `demo/` under the data directory, emptied at every start, so two
    runs print the same counts and the operator's own data is never touched."""
    settings = demo_settings(settings_of(ctx))
    with redis_connection(settings) as connection, fixture_web(docs, seed) as web:
        where = f"data in {settings.home} (emptied first)"
        console.print(f"fixture web at {web.url} ({web.documents} documents); {where}")
        sites_file = web.write_sites(settings.home / "sites.toml")
        run = DemoRun(settings, connection, connection_url(connection, settings), sites_file)
        crawls = _crawl_all(run)
        _drain(run, workers)
        catalog = Catalog(stores_of(Connections(connection, connection), settings))
        summary = {"crawls": crawls, **summarize(catalog)}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        _print_summary(summary, settings)


@contextmanager
def fixture_web(docs: int, seed: int) -> Iterator[FixtureServer]:
    """The fixture web for the demo; a ServiceError (one line on stderr) when it cannot start."""
    try:
        web = FixtureServer(docs=docs, seed=seed, slow_s=0.5).start()
    except FixtureWebError as exc:
        raise ServiceError(str(exc)) from exc
    try:
        yield web
    finally:
        web.stop()


def demo_settings(settings: Settings) -> Settings:
    """The demo's own data directory and embedded Redis, emptied (its old redis-server stopped)."""
    demo = dataclasses.replace(
        settings, home=settings.home / "demo", redis_url=None, archive_dir=None, archive_url=None,
        index_url=None,
    )
    embedded_server(demo).stop()
    shutil.rmtree(demo.home, ignore_errors=True)
    demo.home.mkdir(parents=True)
    return demo


def _crawl_all(run: DemoRun) -> list[dict[str, Any]]:
    names = [n for n in load_sites(run.sites_file).names if n in DEMO_SITES]
    results = []
    with progress_bar() as progress:
        task = progress.add_task("crawl", total=len(names), detail="")
        for name in names:
            progress.update(task, description=f"crawl {name}")
            record = run_crawl(name, run.sites_file, run.redis_url, run.settings)
            stats = record.get("stats", {})
            results.append({"site": name, "status": record.get("status"), **_crawl_counts(stats)})
            progress.advance(task)
    return results


def _crawl_counts(stats: dict[str, Any]) -> dict[str, Any]:
    wanted = ("pages", "captures", "documents", "handed_off")
    return {name: stats.get(name, 0) for name in wanted}


def _drain(run: DemoRun, count: int) -> None:
    """Burst workers in their own processes until the ingest queue is empty."""
    ingest = queue(INGEST, run.connection)
    total = waiting([ingest])
    env = {**os.environ, "REDIS_URL": run.redis_url, "DEDUPCRAWL_HOME": str(run.settings.home),
           "DEDUPCRAWL_ARCHIVE_DIR": str(run.settings.warc_dir), "DEDUPCRAWL_ARCHIVE_URL": ""}
    env.pop("DEDUPCRAWL_INDEX_URL", None)  # the demo's index is its own embedded Redis
    command = [sys.executable, "-m", "workers", "worker", "--burst", "--queues", INGEST]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]
    with progress_bar() as progress:
        task = progress.add_task("ingest", total=total, detail="")
        while any(p.poll() is None for p in procs):
            progress.update(task, completed=total - waiting([ingest]))
            time.sleep(0.2)
        progress.update(task, completed=total)


def summarize(catalog: Catalog) -> dict[str, Any]:
    """Documents, clusters, rejections, the largest template family and one traced speech."""
    store, clusters, connection, keys = catalog.store, catalog.clusters, catalog.connection, catalog.keys
    largest = [(cid, size) for cid, size in clusters.largest(1) if size > 1]
    summary: dict[str, Any] = {
        "documents": store.count_documents(),
        "clusters": int(connection.zcount(keys.clusters, 2, "+inf")),
        "rejections": store.stats("rejected"),
        "largest_family": None,
        "traced": None,
    }
    if largest:
        summary["largest_family"] = _family(store, clusters, largest[0][0])
        summary["traced"] = _traced(catalog, [m["id"] for m in summary["largest_family"]["members"]])
    return summary


def _family(store: Store, clusters: ClusterStore, cluster_id: str) -> dict[str, Any]:
    info = clusters.cluster(cluster_id)
    members = clusters.members(cluster_id)
    docs = {d.doc_id: d for d in store.get_many([m.doc_id for m in members]) if d}
    rows = [
        {"id": m.doc_id, "title": docs[m.doc_id].title, "site": docs[m.doc_id].site, "published": m.published}
        for m in members
        if m.doc_id in docs
    ]
    rows.sort(key=lambda row: (str(row["published"]), row["title"] or ""))  # stable across runs
    return {"id": cluster_id, "size": info.size if info else len(rows), "members": rows}


def _traced(catalog: Catalog, member_ids: list[str]) -> dict[str, Any] | None:
    docs = [d for d in catalog.store.get_many(member_ids) if d]
    if not docs:
        return None
    doc = max(docs, key=lambda d: (d.reuse_ratio, d.doc_id))
    result = catalog.trace(doc)
    spans = [
        {
            "start": s.start,
            "end": s.end,
            "text": doc.display[s.start : s.end][:60],
            "source": s.source.witness.url,
            "source_published": s.source.witness.published,
        }
        for s in result.spans
    ]
    return {
        "id": doc.doc_id,
        "url": doc.url,
        "title": doc.title,
        "reuse_ratio": round(result.reuse_ratio, 3),
        "spans": spans,
    }


def _print_summary(summary: dict[str, Any], settings: Settings) -> None:
    out = Console()
    for crawl in summary["crawls"]:
        out.print(
            f"crawl {crawl['site']}: {crawl['status']}, {crawl['pages']} pages, "
            f"{crawl['handed_off']} documents handed off"
        )
    out.print(f"[bold]{summary['documents']}[/] documents, [bold]{summary['clusters']}[/] template families")
    rejected = ", ".join(f"{k} {v:g}" for k, v in sorted(summary["rejections"].items())) or "none"
    out.print(f"rejections: {rejected}")
    family = summary["largest_family"]
    if family:
        out.print(f"\n[bold]largest family[/] {family['id']} ({family['size']} speeches):")
        for member in family["members"][:12]:
            out.print(f"  {member['published']}  {member['site']:<14} {member['title']}")
    traced = summary["traced"]
    if traced:
        out.print(
            f"\n[bold]traced[/] {traced['title']} ({traced['url']}): {traced['reuse_ratio']:.0%} reused"
        )
        for span in traced["spans"][:8]:
            out.print(
                f"  [{span['start']}:{span['end']}] {span['text']}… "
                f"← {span['source']} ({span['source_published']})"
            )
    web = f"http://{settings.web_host}:{settings.web_port}/"
    if _answers(web):
        out.print(f"\nweb UI: {web}")
    else:
        out.print(
            f"\nbrowse it: DEDUPCRAWL_HOME={settings.home} .venv/bin/dedupcrawl serve   (then open {web})"
        )


def _answers(url: str) -> bool:
    """Whether a web UI already serves this data (`dedupcrawl serve` started separately)."""
    try:
        with urllib.request.urlopen(url + "healthz", timeout=1) as response:  # noqa: S310 - our own UI
            return bool(response.status == 200)
    except OSError:
        return False
