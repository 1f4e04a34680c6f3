"""WARC file names that are unique per writer, so that processes on several hosts sharing one
archive directory never append to the same file.

A name is `<name>-<UTC time>-<host>-<pid>-<random>-<seq>.warc.gz`. The time is the moment the file
is begun, to the microsecond, and comes first: the files of one name sort in the order they were
begun (on several hosts, as far as their clocks agree), and `reindex` reads them in that order, so
a page archived again later wins. Host and pid tell an operator who wrote a file; the random part
keeps two writers apart even where host names repeat (containers) or a pid is reused. The file is
still created exclusively (O_EXCL): a name taken is never shared.
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

    def file_name(self, name: str, seq: int, now: datetime | None = None) -> str:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{name}-{stamp}-{self.tag}-{seq:05d}.warc.gz"


def new_writer_tag() -> WriterTag:
    host = _NOT_IN_NAMES.sub("-", socket.gethostname()).strip("-")[:HOST_CHARS] or "host"
    pid = os.getpid()
    return WriterTag(f"{host}-{pid}-{secrets.token_hex(4)}", pid)
