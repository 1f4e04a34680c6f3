"""`dedupcrawl import` and `dedupcrawl reindex`: documents in through the ingest path, inline."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from archive.capture import DocumentCapture
from archive.errors import ArchiveWriteError, WarcReadError
from archive.keys import Keys
from archive.urls import display_url
from archive.warc import WarcArchive, iter_documents
from dedup.reasons import IngestStatus, RejectReason
from dedup.records import Page, Rejection
from workers.commands.loaded import settings_of
from workers.commands.progress import progress_bar
from workers.errors import ImportStopped, ServiceError
from workers.flow.imports import Importer
from workers.flow.ingest import Ingestor
from workers.flow.jobs import build_ingestor
from workers.flow.relink import settle
from workers.redis.connection import redis_connections
from workers.stores import derived_state

console = Console(stderr=True)


def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., exists=True, help="A .jsonl file, a WARC file or a folder of pages."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the counts, reasons and each rejected input as one JSON object."
    ),
    defer_trace: bool = typer.Option(
        False,
        "--defer-trace",
        help="Cluster only; alignment and provenance go to the trace queue, drained by idle workers.",
    ),
) -> None:
    """Import documents that were not crawled; each goes through the same ingest path. A bad
    line, file or record is rejected with its reason and the rest goes on."""
    settings = settings_of(ctx)
    archive = WarcArchive(settings.archive, "import")
    importer, tally = Importer(archive), _Tally(listed=True)
    try:
        with redis_connections(settings) as connections:
            source = _import_source(importer, path)
            ingestor = build_ingestor(connections, settings, defer_trace or None)
            try:
                _ingest_all(ingestor, source, tally, "import", import_total(path), importer)
            finally:
                ingestor.flush_traces()
            if ingestor.defer_trace:
                tally.counts["untraced"] = ingestor.store.count_untraced()
    except ArchiveWriteError as exc:  # every later record would fail the same way
        done = tally.summary() or "nothing imported"
        raise ImportStopped(f"{exc}; stopped at {importer.current or 'the start'} ({done})") from exc
    finally:
        _close(archive, importer, tally)
    _report(tally, as_json)


def _close(archive: WarcArchive, importer: Importer, tally: _Tally) -> None:
    """Close (for an object store: upload) the import's file; a refusal is one line."""
    try:
        archive.close()
    except ArchiveWriteError as exc:
        done = tally.summary() or "nothing imported"
        raise ImportStopped(f"{exc}; at {importer.current or 'the start'} ({done})") from exc


def reindex(
    ctx: typer.Context,
    keep: bool = typer.Option(False, "--keep", help="Do not clear derived state first."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """Rebuild documents, clusters, alignments and rejections from the WARC archive."""
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        derived_state.carry_deletions(connections.queues, connections.index, Keys(settings.key_prefix))
        if not keep:
            derived_state.clear(connections.index, settings.key_prefix)
        ingestor = build_ingestor(connections, settings)
        errors: list[WarcReadError] = []
        tally = _Tally(listed=False)
        try:
            _ingest_all(ingestor, iter_documents(settings.archive, errors.append), tally, "reindex", None)
        except WarcReadError as exc:  # the archive cannot be listed (each file's damage is in `errors`)
            raise ServiceError(f"cannot list the archive: {exc}") from exc
        for error in errors:
            damaged = Rejection(f"warc:{error}", "", "read", RejectReason.UNREADABLE_WARC, str(error))
            ingestor.store.reject(damaged)
        tally.counts["unreadable_files"] = len({getattr(error, "warc_file", str(error)) for error in errors})
        tally.counts["damaged_stretches"] = len(errors)
    _report(tally, as_json)


def _import_source(importer: Importer, path: Path) -> Iterable[DocumentCapture | Rejection]:
    name = path.name.lower()
    if path.is_dir():
        return importer.html_folder(path)
    if name.endswith((".warc", ".warc.gz")):
        return importer.warc(path)
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return importer.jsonl(path)
    raise typer.BadParameter(f"{path}: expected a .jsonl file, a WARC file or a folder of HTML pages")


@dataclass
class _Tally:
    """What a run did: outcomes and rejection reasons counted, and (`listed`) each rejection."""

    listed: bool
    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    rejections: list[dict[str, str]] = field(default_factory=list)

    def add(self, status: str, rejection: Rejection | None, where: str) -> None:
        self.counts[status] += 1
        if rejection is None:
            return
        self.reasons[rejection.reason] += 1
        if self.listed:
            found = {"input": where or rejection.input_id, "url": display_url(rejection.url)}
            found |= {"stage": rejection.stage, "reason": rejection.reason, "detail": rejection.detail}
            self.rejections.append(found)

    def summary(self) -> str:
        """`indexed 8, rejected 3 (bad_url 2, too_large 1)`."""
        parts = [f"{k} {v}" for k, v in sorted(self.counts.items())]
        reasons = ", ".join(f"{k} {v}" for k, v in self.reasons.most_common())
        return ", ".join(parts) + (f" ({reasons})" if reasons else "")

    def to_dict(self) -> dict[str, object]:
        listed = {"rejections": self.rejections} if self.listed else {}
        return {**self.counts, "reasons": dict(self.reasons.most_common()), **listed}


def import_total(path: Path) -> int | None:
    """How many inputs an import will read, when that is cheap to know (not for a WARC file)."""
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    if path.name.lower().endswith((".jsonl", ".ndjson", ".json")):
        return _line_count(path)
    return None


def _line_count(path: Path) -> int:
    """Non-blank lines of a file, read in chunks: one line may be larger than memory should hold."""
    count, filled = 0, False  # filled: the line being read has a non-blank character
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            *ended, rest = chunk.split(b"\n")
            for part in ended:
                count += filled or bool(part.strip())
                filled = False
            filled = filled or bool(rest.strip())
    return count + filled


def _ingest_all(
    ingestor: Ingestor,
    items: Iterable[DocumentCapture | Rejection],
    tally: _Tally,
    what: str,
    total: int | None,
    importer: Importer | None = None,
) -> None:
    with progress_bar() as progress, ingestor.counted_in_batches():
        task = progress.add_task(what, total=total, detail="")
        for item in items:
            status, rejection = _ingest_one(ingestor, item, importer.written if importer else {})
            tally.add(status, rejection, importer.current if importer else "")
            progress.update(task, advance=1, detail=tally.summary())
    settle(ingestor.store, ingestor.config.align)  # the pair links left for the end (workers.flow.relink)


def _ingest_one(
    ingestor: Ingestor, item: DocumentCapture | Rejection, written: Mapping[str, Page]
) -> tuple[str, Rejection | None]:
    if isinstance(item, Rejection):
        ingestor.store.reject(item)
        return IngestStatus.REJECTED, item
    outcome = ingestor.ingest_capture(item, written)
    if outcome.status != IngestStatus.REJECTED:
        return outcome.status, None
    stored = ingestor.store.rejection(outcome.input_id)
    return IngestStatus.REJECTED, stored or Rejection(outcome.input_id, item.doc_url, "", outcome.reason)


def _report(tally: _Tally, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(tally.to_dict(), sort_keys=True, ensure_ascii=False))
    else:
        console.print(tally.summary() or "nothing to do", markup=False, highlight=False)
