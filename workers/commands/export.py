"""`dedupcrawl export --format jsonl|parquet --out PATH [--since CURSOR]`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import typer

from workers.commands.loaded import settings_of
from workers.commands.progress import progress_bar
from workers.errors import ServiceError
from workers.read.export import FORMATS, Exporter, ExportRecord, write
from workers.redis.connection import redis_connections
from workers.stores.store_set import stores_of


def export(
    ctx: typer.Context,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
    out: Path = typer.Option(..., "--out", help="The file to write."),
    since: int | None = typer.Option(None, "--since", help="Cursor of the previous export: only changes."),
) -> None:
    """Write one representative per cluster and every singleton; print the new cursor."""
    if fmt not in FORMATS:
        raise ServiceError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if since is not None and since < 0:
        raise ServiceError("--since must be a cursor printed by an earlier export (>= 0)")
    check_output(out)  # before the export marks what it emits as exported
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        batch = Exporter(stores_of(connections, settings)).export(since)
    with progress_bar() as bar:
        task = bar.add_task("export", total=len(batch.records), detail=out.name)
        count = write(_counted(batch.records, lambda: bar.advance(task)), out, fmt)
    summary = {"cursor": batch.cursor, "since": batch.since, "records": count, "out": str(out)}
    typer.echo(json.dumps(summary))


def _counted(records: list[ExportRecord], advance: Callable[[], None]) -> Iterator[ExportRecord]:
    for record in records:
        yield record
        advance()


def check_output(out: Path) -> None:
    """One-line errors for an output path that cannot be written, found before any work."""
    if out.is_dir():
        raise ServiceError(f"--out {out}: is a directory (give a file name)")
    parent = out.parent
    if not parent.exists():
        raise ServiceError(f"--out {out}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise ServiceError(f"--out {out}: {parent} is not a directory")
    probe = parent / f".{out.name}.probe"
    try:
        probe.open("w").close()
        probe.unlink()
    except OSError as exc:
        raise ServiceError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
