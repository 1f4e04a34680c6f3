"""The progress bars of every long command (one look everywhere); `-q` hides them."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from workers.commands.verbosity import Verbosity, current

console = Console(stderr=True)


def progress_bar() -> Progress:
    """A bar with done/total counts and the time taken, drawn on stderr."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        disable=current() == Verbosity.QUIET,
    )
