"""The `dedupcrawl` command line; each command family lives in workers.commands."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import redis
import typer

from workers.commands import archive, crawl, demo, extract, schedule, server, worker
from workers.commands import export as export_commands
from workers.commands import serve as serve_commands
from workers.commands import trace as trace_commands
from workers.commands import views as view_commands
from workers.errors import ServiceError
from workers.settings import redact, redact_log_records

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.command()(server.status)
app.command()(server.stop)
app.command()(crawl.crawl)
app.command()(worker.worker)
app.command("import")(archive.import_)
app.command()(archive.reindex)
app.command()(schedule.scheduler)
app.command()(schedule.schedule)
app.command()(demo.demo)
app.command()(extract.extract)
app.command()(serve_commands.serve)
app.command()(view_commands.clusters)
app.command()(view_commands.show)
app.command()(export_commands.export)
app.command("trace")(trace_commands.trace_doc)
app.command()(trace_commands.template)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into a normal exit so leases and temporary state are released.
    raise SystemExit(128 + signum)


def _error(message: str) -> None:
    typer.secho(f"error: {redact(message)}", err=True, fg="red")


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    redact_log_records()
    try:
        app()
    except ServiceError as exc:
        _error(str(exc))
        sys.exit(2)
    except redis.OutOfMemoryError as exc:
        # noeviction: Redis refuses writes rather than drop data; say so instead of a traceback.
        problem = f"Redis is full (maxmemory reached, nothing was evicted): {exc}"
        advice = "Free memory or raise maxmemory, then run this again."
        _error(f"{problem} {advice}")
        sys.exit(2)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        _error(f"lost the connection to Redis: {exc}")
        sys.exit(2)
