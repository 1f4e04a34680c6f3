"""`dedupcrawl crawl SITE`: one crawl in its own process (`crawler.run`), then its run record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from crawler.config import load_sites
from crawler.errors import CrawlerError
from workers.connection import connection_url, redis_connection
from workers.errors import ServiceError
from workers.settings import Settings, load_settings

console = Console()


def crawl(
    site: str = typer.Argument(..., help="A site name from the sites file."),
    sites: Path | None = typer.Option(None, "--sites", help="The sites file (default: DEDUPCRAWL_SITES)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as one JSON object."),
) -> None:
    """Crawl one site now; success is judged from the crawl's stats, not its exit code."""
    settings = load_settings()
    sites_file = resolve_sites_file(sites, settings, site)
    with redis_connection(settings) as connection:
        run = run_crawl(site, sites_file, connection_url(connection, settings), settings)
    if as_json:
        typer.echo(json.dumps(run, ensure_ascii=False))
    else:
        show_run(run)
    raise typer.Exit(0 if run["status"] == "succeeded" else 1)


def run_crawl(
    site: str, sites_file: Path, redis_url: str, settings: Settings, run_id: str | None = None
) -> dict[str, Any]:
    """Run `python -m crawler.run` (a Twisted reactor cannot restart) and return its run record."""
    command = [sys.executable, "-m", "crawler.run", "--site", site, "--sites-file", str(sites_file)]
    command += ["--redis-url", redis_url, "--key-prefix", settings.key_prefix]
    command += ["--warc-dir", str(settings.warc_dir), "--log-level", settings.log_level]
    command += ["--run-id", run_id] if run_id else []
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise ServiceError(f"the crawl of {site} ended (exit {done.returncode}) without a run record")
    return dict(json.loads(lines[-1]))


def resolve_sites_file(option: Path | None, settings: Settings, site: str) -> Path:
    path = option or settings.sites_file
    if path is None:
        raise ServiceError("no sites file: pass --sites FILE or set DEDUPCRAWL_SITES")
    try:
        load_sites(path).site(site)
    except CrawlerError as exc:
        raise ServiceError(str(exc)) from exc
    return path.resolve()


def show_run(run: dict[str, Any]) -> None:
    stats = run["stats"]
    table = Table(show_header=False, box=None)
    table.add_row("run", f"{run['run_id']} ({run['site']})")
    table.add_row("result", f"{run['status']}: {run['verdict']}")
    table.add_row("time", f"{run['started_at']} → {run['finished_at']}")
    for name in ("pages", "captures", "documents", "handed_off", "skipped_unchanged", "skipped_recent"):
        table.add_row(name.replace("_", " "), str(stats.get(name, 0)))
    table.add_row("not modified (304)", str(stats.get("not_modified", 0)))
    table.add_row("robots.txt denied", str(stats.get("robots_forbidden", 0)))
    errors = stats.get("errors") or {}
    table.add_row("errors", ", ".join(f"{k} {v}" for k, v in errors.items()) or "none")
    console.print(table)
