"""The `dedupcrawl` command line; each command family lives in workers.commands.

Every error ends as one line on stderr and an exit status from `workers.exit_codes`.
"""

from __future__ import annotations

import signal
import sys
import traceback
from importlib import metadata
from types import FrameType
from typing import Any

import redis
import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from workers.commands import archive, crawl, demo, extract, ops, schedule, server, worker
from workers.commands import export as export_commands
from workers.commands import serve as serve_commands
from workers.commands import trace as trace_commands
from workers.commands import views as view_commands
from workers.commands.loaded import LoadedSettings
from workers.commands.verbosity import Verbosity, choose
from workers.errors import NotFound, RedisUnavailable, ServiceError
from workers.exit_codes import ExitCode
from workers.settings import redact, redact_log_records


class OneLineErrors(typer.core.TyperGroup):
    """Turns the service's errors into one line on stderr and their exit status, for every caller
    of the app (the console script and click's test runner alike)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NotFound as exc:
            raise typer.Exit(_fail(str(exc), ExitCode.NOT_FOUND)) from None
        except RedisUnavailable as exc:
            raise typer.Exit(_fail(str(exc), ExitCode.REDIS)) from None
        except ServiceError as exc:
            raise typer.Exit(_fail(str(exc), ExitCode.USAGE)) from None
        except redis.RedisError as exc:
            raise typer.Exit(_redis_failure(exc)) from None


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(server.status)
app.command()(server.stop)
app.command()(ops.ops)
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


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"dedupcrawl {metadata.version('dedupcrawl')}")
        raise typer.Exit(0)


@app.callback()
def options(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show the logs of crawls and workers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors and results: no progress."),
) -> None:
    """Crawl, cluster and trace Chinese speeches; exit statuses are listed in the README."""
    if verbose and quiet:
        raise typer.BadParameter("-v and -q exclude each other")
    choose(Verbosity.VERBOSE if verbose else Verbosity.QUIET if quiet else Verbosity.NORMAL)
    ctx.obj = LoadedSettings()  # the one load of this process's settings, on first use


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into a normal exit so leases and temporary state are released.
    raise SystemExit(128 + signum)


def _fail(message: str, code: ExitCode) -> int:
    typer.secho(f"error: {redact(message)}", err=True, fg="red")
    return int(code)


def _redis_failure(exc: redis.RedisError) -> int:
    if isinstance(exc, redis.OutOfMemoryError):
        # noeviction: Redis refuses writes rather than drop data; say so instead of a traceback.
        problem = f"Redis is full (maxmemory reached, nothing was evicted): {exc}"
        return _fail(f"{problem} Free memory or raise maxmemory, then run this again.", ExitCode.REDIS)
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return _fail(f"lost the connection to Redis: {exc}", ExitCode.REDIS)
    return _fail(f"Redis answered with an error: {exc}", ExitCode.REDIS)


def _usage_failure(exc: typer.TyperException) -> int:
    where = exc.ctx.command_path if isinstance(exc, UsageError) and exc.ctx else "dedupcrawl"
    message = " ".join(exc.format_message().split())
    return _fail(f"{message} (see `{where} -h`)", ExitCode.USAGE)


def run(argv: list[str]) -> int:
    """Run one command line; every failure becomes one line on stderr and an exit status."""
    try:
        result = app(args=argv, prog_name="dedupcrawl", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except typer.TyperException as exc:
        return _usage_failure(exc)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", ExitCode.INTERRUPTED)
    except Exception as exc:
        if "-v" in argv or "--verbose" in argv:
            traceback.print_exc()
        problem = f"unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)"
        return _fail(problem, ExitCode.INTERNAL)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    redact_log_records()
    sys.exit(run(sys.argv[1:]))
