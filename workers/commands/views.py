"""`dedupcrawl clusters` and `dedupcrawl show`: the read side on a terminal, or as JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archive.urls import display_url
from workers.commands.loaded import settings_of
from workers.commands.trace import print_template, print_trace, template_record, trace_record
from workers.errors import NotFound
from workers.read.catalog import SLOT_MEMBERS, Catalog, ClusterQuery, ClusterRow, MemberRow
from workers.read.document_view import DocumentView, document_view
from workers.redis.connection import redis_connections
from workers.stores.store_set import stores_of

console = Console()


def clusters(
    ctx: typer.Context,
    min_size: int = typer.Option(2, "--min-size", min=1, help="Smallest cluster shown (1: singletons too)."),
    max_size: int = typer.Option(0, "--max-size", min=0, help="Largest cluster shown (0: no bound)."),
    site: str = typer.Option("", "--site", help="Only clusters with a member from this site."),
    since: datetime | None = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                                          help="Only clusters with a member published on or after."),
    until: datetime | None = typer.Option(None, "--until", formats=["%Y-%m-%d"],
                                          help="Only clusters with a member published on or before."),
    min_reuse: float = typer.Option(0.0, "--min-reuse", min=0, max=100,
                                    help="Representative reuses at least this % of its text."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list (with members)."),
) -> None:
    """List clusters, largest first: reuse, similarity, sites and dates, filtered."""
    query = ClusterQuery(
        min_size=min_size, max_size=max_size, site=site, since=since.date() if since else None,
        until=until.date() if until else None, min_reuse=min_reuse / 100, per_page=ALL,
    )
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        catalog = Catalog(stores_of(connections, settings))
        rows = catalog.cluster_page(query).rows
        if as_json:
            found = [{**c, **row_json(row)} for row in rows if (c := cluster_json(catalog, row.id))]
            typer.echo(json.dumps(found, ensure_ascii=False, default=str))
            return
    console.print(clusters_table(rows, min_size))


ALL = 1_000_000_000  # one page holds every row


def row_json(row: ClusterRow) -> dict[str, Any]:
    """The list columns of a cluster row."""
    return {"reuse": row.reuse, "similarity": list(row.similarity) if row.similarity else None,
            "sites": row.sites, "first": row.first, "last": row.last}


def clusters_table(rows: list[ClusterRow], min_size: int) -> Table:
    table = Table(title=f"{len(rows)} clusters of {min_size}+ documents", expand=False)
    table.add_column("cluster", no_wrap=True)
    table.add_column("size", justify="right")
    table.add_column("representative", overflow="fold", ratio=3)
    table.add_column("reuse", justify="right", no_wrap=True)
    table.add_column("similarity", no_wrap=True)
    table.add_column("sites", overflow="fold", ratio=1)
    table.add_column("dates", overflow="fold")
    for row in rows:
        rep = row.representative
        similar = f"{row.similarity[0]:.2f}-{row.similarity[1]:.2f}" if row.similarity else "-"
        reuse = "?" if row.reuse is None else f"{row.reuse:.0%}"
        dates = f"{row.first or '?'}" + (f" - {row.last}" if row.last and row.last != row.first else "")
        table.add_row(row.id, str(row.size), Text(rep.title or display_url(rep.url)), reuse, similar,
                      Text(", ".join(row.sites)), dates)
    return table


def cluster_json(catalog: Catalog, cluster_id: str) -> dict[str, Any] | None:
    info = catalog.clusters.cluster(cluster_id)
    if info is None:
        return None
    members = [_member(m) for m in catalog.members(info)]
    rep = info.representative
    return {"id": info.cluster_id, "size": info.size, "representative": rep, "members": members}


def _member(m: MemberRow) -> dict[str, Any]:
    published = m.published.isoformat() if m.published else None
    return {"id": m.id, "url": m.url, "title": m.title, "published": published,
            "jaccard": m.jaccard, "containment": m.containment}


def show(
    ctx: typer.Context,
    ident: str = typer.Argument(..., metavar="ID_OR_URL", help="A document id or URL, or a cluster id."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """One document (metadata, reused spans and their sources) or one cluster (members, slots)."""
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        catalog = Catalog(stores_of(connections, settings))
        found = show_json(catalog, ident)
        if found is None:
            raise NotFound(f"no document or cluster {ident!r}")
        if as_json:
            typer.echo(json.dumps(found, ensure_ascii=False, default=str))
        elif found["kind"] == "cluster":
            _print_cluster(catalog, found)
        else:
            _print_document(catalog, found)


def show_json(catalog: Catalog, ident: str) -> dict[str, Any] | None:
    doc = catalog.document(ident)
    if doc is not None:
        view: DocumentView = document_view(catalog, doc, catalog.trace(doc))
        return {"kind": "document", **dataclasses.asdict(view)}
    detail = catalog.cluster_detail(ident)
    if detail is None:
        return None
    base = cluster_json(catalog, detail.id) or {}
    slots = [{"index": s.index, "text": s.text, "values": s.values} for s in detail.slots]
    return {"kind": "cluster", **base, "template": detail.template, "slots": slots}


def _print_cluster(catalog: Catalog, found: dict[str, Any]) -> None:
    table = Table(title=f"cluster {found['id']} ({found['size']} members)")
    table.add_column("document", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=3)
    table.add_column("published", no_wrap=True)
    table.add_column("jaccard", justify="right")
    table.add_column("contain.", justify="right")
    for m in found["members"]:
        mark = " *" if m["id"] == found["representative"] else ""
        table.add_row(m["id"] + mark, Text(m["title"] or display_url(m["url"])), str(m["published"] or "?"),
                      f"{m['jaccard']:.2f}", f"{m['containment']:.2f}")
    console.print(table)
    console.print("* representative")
    info = catalog.clusters.cluster(found["id"])
    others = [m["id"] for m in found["members"] if m["id"] != found["representative"]][:SLOT_MEMBERS]
    template = catalog.template(info, others) if info else None
    if template is not None:
        docs = {d.doc_id: d for d in catalog.store.get_many([template.representative_id, *others]) if d}
        print_template(template_record(found["id"], template, docs), console)


def _print_document(catalog: Catalog, found: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    for name in ("title", "site", "published", "cluster_id", "cluster_size"):
        table.add_row(name, Text(str(found[name])))
    console.print(table)
    doc = catalog.store.get(found["id"])
    if doc is not None:
        print_trace(trace_record(doc, catalog.trace(doc), {}), console)
