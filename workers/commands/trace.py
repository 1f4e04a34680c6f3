"""`dedupcrawl trace DOC` and `dedupcrawl template CLUSTER_ID`: reused passages and template slots.

The JSON records are built by plain functions from the engine's records (`trace_record`,
`template_record`), so the web UI and tests can use them without a command line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archive.urls import display_url
from dedup.dates import evidence_label, untrusted_label
from dedup.provenance import Trace, TracedSpan, WitnessSpan
from dedup.slots import Template, template_slots
from workers.commands.loaded import settings_of
from workers.errors import NotFound
from workers.read.catalog import Catalog
from workers.redis.connection import redis_connections
from workers.stores.store import StoredDocument
from workers.stores.store_set import Stores, stores_of

console = Console()
_COLOURS = ("red", "green", "blue", "magenta", "cyan", "yellow")


# --- records ---------------------------------------------------------------------------------


def trace_record(doc: StoredDocument, result: Trace, texts: Mapping[str, str]) -> dict[str, Any]:
    """The `trace --json` object; `texts` holds the display text of sources and witnesses."""
    return {
        "id": doc.doc_id,
        "url": doc.url,
        "published": _day(doc.published),
        "published_from": doc.published_from,
        "published_untrusted": [untrusted_label(u) for u in doc.published_untrusted],
        "text": doc.display,
        "reuse_ratio": round(result.reuse_ratio, 4),
        "spans": [_span_record(doc.display, span, texts) for span in result.spans],
        "sources": len(result.sources),
        "original": [{"start": s, "end": e} for s, e in result.original],
        "first_here": [_span_record(doc.display, span, texts) for span in result.first_here],
    }


def _span_record(display: str, span: TracedSpan, texts: Mapping[str, str]) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "text": display[span.start : span.end],
        "similarity": span.similarity,
        "source": _witness_record(span.source, texts),
        "witnesses": [_witness_record(w, texts) for w in span.witnesses],
    }


def _witness_record(span: WitnessSpan, texts: Mapping[str, str]) -> dict[str, Any]:
    text = texts.get(span.witness.doc_id)
    return {
        "id": span.witness.doc_id,
        "url": span.witness.url,
        "site": span.witness.site,
        "published": _day(span.witness.published),
        "published_from": span.witness.published_from,
        "start": span.start,
        "end": span.end,
        "similarity": span.similarity,
        "text": text[span.start : span.end] if text is not None else None,
    }


def template_record(
    cluster_id: str, template: Template, docs: Mapping[str, StoredDocument]
) -> dict[str, Any]:
    """The `template --json` object."""
    rep = docs.get(template.representative_id)
    return {
        "id": cluster_id,
        "representative": {"id": template.representative_id, "url": rep.url if rep else None},
        "text": template.text,
        "slots": [
            {
                "index": slot.index,
                "start": slot.start,
                "end": slot.end,
                "text": slot.text,
                "values": [{"id": member, "value": value} for member, value in slot.values],
            }
            for slot in template.slots
        ],
        "members": [
            {
                "id": m,
                "url": docs[m].url if m in docs else None,
                "published": _day(_published(docs, m)),
                "published_from": docs[m].published_from if m in docs else "",
            }
            for m in template.members
        ],
        "version": template.version,
    }


def _published(docs: Mapping[str, StoredDocument], doc_id: str) -> date | None:
    return docs[doc_id].published if doc_id in docs else None


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- rich output -----------------------------------------------------------------------------


def print_trace(record: Mapping[str, Any], out: Console = console) -> None:
    sources = list(dict.fromkeys(span["source"]["id"] for span in record["spans"]))
    colour = {source: _COLOURS[i % len(_COLOURS)] for i, source in enumerate(sources)}
    out.print(f"[bold]{record['id']}[/bold] {display_url(record['url'])}")
    out.print(f"published {_dated(record)}", *(f"(not trusted: {u})" for u in record["published_untrusted"]))
    out.print(f"reused {record['reuse_ratio']:.1%} of the text from {len(sources)} source(s)")
    text = Text(record["text"])
    for span in record["spans"]:
        text.stylize(f"bold {colour[span['source']['id']]}", span["start"], span["end"])
    out.print(text)
    table = Table("span", "sim", "source", "published", "also in")
    for span in record["spans"]:
        source = span["source"]
        table.add_row(
            Text(f"{span['start']}-{span['end']}", style=colour[source["id"]]),
            f"{span['similarity']:.2f}",
            display_url(source["url"]),
            _dated(source),
            str(len(span["witnesses"])),
        )
    out.print(table)


def print_template(record: Mapping[str, Any], out: Console = console) -> None:
    shown = display_url(record["representative"]["url"] or "")
    out.print(f"[bold]cluster {record['id']}[/bold] template of {shown}")
    text = Text(record["text"])
    text.highlight_regex(r"\{\{\d+\}\}", "bold reverse")
    out.print(text)
    table = Table("slot", record["representative"]["id"], *(m["id"] for m in record["members"]))
    for slot in record["slots"]:
        values = {v["id"]: v["value"] for v in slot["values"]}
        cells = [_cell(values.get(m["id"])) for m in record["members"]]
        table.add_row(f"{{{{{slot['index']}}}}}", slot["text"], *cells)
    out.print(table)


def _dated(record: Mapping[str, Any]) -> str:
    """`2020-05-01 (structured data)`: a date with its evidence, so a reader can judge it."""
    return f"{record['published'] or '?'} ({evidence_label(record['published_from'])})"


def _cell(value: str | None) -> str:
    return "—" if value is None else (value or "∅")


# --- commands --------------------------------------------------------------------------------


def trace_doc(
    ctx: typer.Context,
    doc: str = typer.Argument(..., help="A document id or its URL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Print a document with its reused passages, each with its earliest source."""
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        record = _trace(Catalog(stores_of(connections, settings)), doc)
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False))
    else:
        print_trace(record)


def template(
    ctx: typer.Context,
    cluster_id: str = typer.Argument(..., help="A cluster id (as `status`/the web UI show it)."),
    members: int = typer.Option(50, "--members", min=1, help="Align at most this many members."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Print a cluster's template text with its slots and every member's values."""
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        record = _template(stores_of(connections, settings), cluster_id, members)
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False))
    else:
        print_template(record)


def _trace(catalog: Catalog, wanted: str) -> dict[str, Any]:
    store = catalog.store
    doc = store.find(wanted)
    if doc is None:
        _fail(f"no document {wanted!r} (give a document id or its URL)")
    result = catalog.trace(doc)
    spans = [*result.spans, *result.first_here]
    ids = sorted({w.witness.doc_id for s in spans for w in (s.source, *s.witnesses)})
    texts = {d.doc_id: d.display for d in store.get_many(ids) if d}
    return trace_record(doc, result, texts)


def _template(stores: Stores, cluster_id: str, limit: int) -> dict[str, Any]:
    clusters = stores.clusters
    info = clusters.cluster(cluster_id)
    if info is None:
        _fail(f"no cluster {cluster_id!r}")
    ids = _members(info.representative, [m.doc_id for m in clusters.members(info.cluster_id)], limit)
    docs = {d.doc_id: d for d in stores.documents.get_many(ids) if d}
    if info.representative not in docs:
        _fail(f"cluster {cluster_id!r}: representative {info.representative} is not stored")
    rep = docs[info.representative]
    others = [(d, docs[d].norm()) for d in ids if d in docs and d != rep.doc_id]
    return template_record(info.cluster_id, template_slots(rep.norm(), others), docs)


def _members(representative: str, member_ids: Sequence[str], limit: int) -> list[str]:
    return [representative, *[m for m in member_ids if m != representative][: limit]]


def _fail(message: str) -> NoReturn:
    raise NotFound(message)
