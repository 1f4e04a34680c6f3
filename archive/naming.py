"""WARC file names that are unique per writer, so that processes on several hosts sharing one
archive directory never append to the same file.

A name is `<name>-<UTC time>-<host>-<pid>-<random>-<seq>.warc.gz`: the time first, so the files of
one name sort in the order they were begun (reindex reads them so); host and pid tell an operator
who wrote a file; the random part keeps two writers apart even where host names repeat (containers)
or a pid is reused. The file is still created exclusively (O_EXCL): a name taken is never shared.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9.]+")  # a WARC header value and a path part: plain ASCII
HOST_CHARS = 40


@dataclass(frozen=True, slots=True)
class WriterTag:
    """Who writes a run of files: made once per writer process (again after a fork)."""

    tag: str
    pid: int

    def file_name(self, name: str, seq: int) -> str:
        return f"{name}-{self.tag}-{seq:05d}.warc.gz"


def new_writer_tag(now: datetime | None = None) -> WriterTag:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    host = _NOT_IN_NAMES.sub("-", socket.gethostname()).strip("-")[:HOST_CHARS] or "host"
    pid = os.getpid()
    return WriterTag(f"{stamp}-{host}-{pid}-{secrets.token_hex(4)}", pid)
