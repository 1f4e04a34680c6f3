"""The settings of one `dedupcrawl` process: read from the environment once, when a command
first needs them, and kept on the command line's root context, which every command is given.

Read lazily, so a command that needs no settings (`extract`, `--version`, `-h`) never fails on a
bad variable it does not use, nor creates the data directory."""

from __future__ import annotations

import typer

from workers.settings import Settings, load_settings


class LoadedSettings:
    """The process's settings, loaded on first use and kept."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def get(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings of the process running this command (the root callback keeps them)."""
    root = ctx.find_root()
    if not isinstance(root.obj, LoadedSettings):
        root.obj = LoadedSettings()
    return root.obj.get()
