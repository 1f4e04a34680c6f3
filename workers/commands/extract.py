"""`dedupcrawl extract PATH`: decode, extract and normalize one saved page and print the result."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer

from dedup.errors import Rejected
from dedup.extract import extract as extract_page
from dedup.normalize import normalize
from dedup.records import Extraction, NormalizedText, Page


def extract(
    path: Path = typer.Argument(..., help="A saved HTTP response body (an HTML file)."),
    url: str = typer.Option("", "--url", help="The page's URL (helps metadata)."),
    charset: str | None = typer.Option(None, "--charset", help="Decode with this charset first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run decoding → extraction → normalization on one saved page and print the result."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        typer.secho(f"error: {path}: {exc.strerror or exc}", err=True, fg="red")
        raise typer.Exit(2) from exc
    page = Page(capture_id=path.name, url=url or path.resolve().as_uri(), body=body,
                encoding_override=charset)  # fmt: skip
    try:
        extraction = extract_page(page)
        normalized = normalize(extraction)
    except Rejected as rejected:
        _print_rejection(rejected, as_json)
        raise typer.Exit(1) from rejected
    if as_json:
        typer.echo(json.dumps(result_record(extraction, normalized), ensure_ascii=False))
    else:
        _print_result(extraction, normalized)


def result_record(extraction: Extraction, normalized: NormalizedText) -> dict[str, object]:
    """The JSON object `extract --json` prints."""
    return {
        "url": extraction.url,
        "title": normalized.title,
        "published": extraction.published.isoformat() if extraction.published else None,
        "author": extraction.author,
        "site": extraction.site,
        "encoding": extraction.encoding,
        "extractor": extraction.extractor,
        "text": normalized.display,
        "key_length": len(normalized.key),
        "removed": [{"reason": r.reason, "text": r.text} for r in normalized.removed],
        "truncated": normalized.truncated,
        "norm_version": normalized.norm_version,
        "extract_version": extraction.version,
    }


def _print_rejection(rejected: Rejected, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"rejected": rejected.reason, "detail": rejected.detail}, ensure_ascii=False))
    else:
        typer.secho(f"rejected: {rejected.reason}: {rejected.detail}", err=True, fg="yellow")


def _print_result(extraction: Extraction, normalized: NormalizedText) -> None:
    published = extraction.published.isoformat() if extraction.published else "-"
    counts = Counter(r.reason for r in normalized.removed)
    typer.echo(f"title:     {normalized.title or '-'}")
    typer.echo(
        f"published: {published}   site: {extraction.site or '-'}   author: {extraction.author or '-'}"
    )
    typer.echo(f"extractor: {extraction.extractor} ({extraction.encoding})   norm: {normalized.norm_version}")
    typer.echo(f"key:       {len(normalized.key)} characters   truncated: {normalized.truncated}")
    typer.echo("removed:   " + (", ".join(f"{r} {n}" for r, n in counts.most_common()) or "-"))
    typer.echo("")
    typer.echo(normalized.display)
