"""`dedupcrawl extract PATH`: decode, extract and normalize one saved page and print the result."""

from __future__ import annotations

import codecs
import json
from collections import Counter
from pathlib import Path

import typer

from dedup.errors import Rejected
from dedup.extract import extract as extract_page
from dedup.normalize import normalize
from dedup.records import Extraction, NormalizedText, Page
from workers.errors import ServiceError
from workers.exit_codes import ExitCode
from workers.settings import ENGINE


def extract(
    path: Path = typer.Argument(..., help="A saved HTTP response body (an HTML file)."),
    url: str = typer.Option("", "--url", help="The page's URL (helps metadata)."),
    charset: str | None = typer.Option(None, "--charset", help="Decode with this charset first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run decoding → extraction → normalization on one saved page and print the result."""
    if charset is not None:
        check_charset(charset)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ServiceError(f"{path}: {exc.strerror or exc}") from None
    page = Page(capture_id=path.name, url=url or path.resolve().as_uri(), body=body,
                encoding_override=charset)  # fmt: skip
    try:
        extraction = extract_page(page)
        normalized = normalize(extraction, ENGINE.norm)  # the service's; no settings needed
    except Rejected as rejected:
        _print_rejection(rejected, as_json)
        raise typer.Exit(ExitCode.FAILED) from rejected
    if as_json:
        typer.echo(json.dumps(result_record(extraction, normalized), ensure_ascii=False))
    else:
        _print_result(extraction, normalized)


def check_charset(name: str) -> None:
    """A charset Python cannot decode with is an error, not silently ignored."""
    try:
        codecs.lookup(name)
    except LookupError:
        problem = f"--charset {name!r} is not a known encoding (e.g. gb18030, big5, utf-8)"
        raise ServiceError(problem) from None


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
