"""Named exceptions of the synthetic world."""

from __future__ import annotations


class SyntheticError(Exception):
    """Base class for errors raised by the corpus generator and the fixture web."""


class FixtureWebError(SyntheticError):
    """The fixture web process did not start or did not say where it listens."""
