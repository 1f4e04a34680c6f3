"""The web UI and JSON API (`dedupcrawl serve`)."""

from workers.web.app import create_app

__all__ = ["create_app"]
