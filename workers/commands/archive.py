"""`dedupcrawl import` and `dedupcrawl reindex`: documents in through the ingest path, inline."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.console import Console

from crawler.capture import DocumentCapture
from crawler.errors import WarcReadError
from crawler.warc import WarcArchive, iter_documents
from dedup.records import Rejection
from workers import derived_state
from workers.commands.progress import progress_bar
from workers.connection import redis_connection
from workers.imports import Importer
from workers.ingest import REJECTED, Ingestor
from workers.jobs import build_ingestor
from workers.settings import load_settings

console = Console(stderr=True)


def import_(
    path: Path = typer.Argument(..., exists=True, help="A .jsonl file, a WARC file or a folder of pages."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """Import documents that were not crawled; each goes through the same ingest path."""
    settings = load_settings()
    archive = WarcArchive(settings.warc_dir, "import")
    try:
        with redis_connection(settings) as connection:
            source = _import_source(Importer(archive), path)
            counts = _ingest_all(build_ingestor(connection), source, "import", import_total(path))
    finally:
        archive.close()
    _report(counts, as_json)


def reindex(
    keep: bool = typer.Option(False, "--keep", help="Do not clear derived state first."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """Rebuild documents, clusters, alignments and rejections from the WARC archive."""
    settings = load_settings()
    with redis_connection(settings) as connection:
        if not keep:
            derived_state.clear(connection, settings.key_prefix)
        ingestor = build_ingestor(connection)
        errors: list[WarcReadError] = []
        counts = _ingest_all(ingestor, iter_documents(settings.warc_dir, errors.append), "reindex", None)
        for error in errors:
            ingestor.store.reject(Rejection(f"warc:{error}", "", "read", "unreadable_warc", str(error)))
        counts["unreadable_files"] = len({getattr(error, "warc_file", str(error)) for error in errors})
        counts["damaged_stretches"] = len(errors)
    _report(counts, as_json)


def _import_source(importer: Importer, path: Path) -> Iterable[DocumentCapture | Rejection]:
    name = path.name.lower()
    if path.is_dir():
        return importer.html_folder(path)
    if name.endswith((".warc", ".warc.gz")):
        return importer.warc(path)
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return importer.jsonl(path)
    raise typer.BadParameter(f"{path}: expected a .jsonl file, a WARC file or a folder of HTML pages")


def import_total(path: Path) -> int | None:
    """How many inputs an import will read, when that is cheap to know (not for a WARC file)."""
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    if path.name.lower().endswith((".jsonl", ".ndjson", ".json")):
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    return None


def _ingest_all(
    ingestor: Ingestor, items: Iterable[DocumentCapture | Rejection], what: str, total: int | None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    with progress_bar() as progress:
        task = progress.add_task(what, total=total, detail="")
        for item in items:
            status = _ingest_one(ingestor, item)
            counts[status] = counts.get(status, 0) + 1
            progress.update(task, advance=1, detail=_counted(counts))
    return counts


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _ingest_one(ingestor: Ingestor, item: DocumentCapture | Rejection) -> str:
    if isinstance(item, Rejection):
        ingestor.store.reject(item)
        return REJECTED
    return ingestor.ingest_capture(item).status


def _report(counts: dict[str, int], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(counts, sort_keys=True))
    else:
        console.print(_counted(counts) or "nothing to do")
