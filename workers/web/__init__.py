"""The web UI and JSON API (`dedupcrawl serve`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Loaded when asked for: export and the CLI read through workers.read.catalog, and FastAPI's
    # import cost every command ~0.5 s of CPU at its start.
    if name == "create_app":
        from workers.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
