"""How much a command says: `-q` only errors and results, `-v` also its children's logs (Scrapy's).

Chosen once per process by the global options of `dedupcrawl` (workers.cli)."""

from __future__ import annotations

from enum import IntEnum


class Verbosity(IntEnum):
    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


_chosen = [Verbosity.NORMAL]


def choose(level: Verbosity) -> None:
    _chosen[0] = level


def current() -> Verbosity:
    return _chosen[0]
