"""The exit statuses of `dedupcrawl`: one table, mirrored in the README (a test keeps them equal)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a `dedupcrawl` process's exit status means."""

    OK = 0  # done
    FAILED = 1  # the work ran and its outcome failed: a crawl judged failed, a page rejected, jobs failed
    USAGE = 2  # a bad argument, option, setting or file; nothing was done
    NOT_FOUND = 3  # the document, cluster, site or job named does not exist
    REDIS = 4  # Redis cannot be reached, or is full (noeviction)
    INTERNAL = 70  # a bug: an unexpected error (EX_SOFTWARE); `-v` shows its traceback
    INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT)
    TERMINATED = 143  # stopped by SIGTERM


MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.FAILED: "the work ran and failed: a crawl judged failed by its stats, a rejected page",
    ExitCode.USAGE: "a bad argument, option, setting, file or path; nothing was done",
    ExitCode.NOT_FOUND: "the document, cluster or job named does not exist",
    ExitCode.REDIS: "Redis cannot be reached, or is full",
    ExitCode.INTERNAL: "an unexpected error (a bug): `-v` prints its traceback",
    ExitCode.INTERRUPTED: "stopped by Ctrl-C",
    ExitCode.TERMINATED: "stopped by SIGTERM",
}
