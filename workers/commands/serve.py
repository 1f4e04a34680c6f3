"""`dedupcrawl serve`: the web UI and JSON API."""

from __future__ import annotations

import typer
import uvicorn

from workers import web  # its app is built (FastAPI imported) only when serving
from workers.commands.loaded import settings_of
from workers.errors import ServiceError
from workers.redis.connection import redis_connections
from workers.redis.ports import port_is_free
from workers.stores.store_set import stores_of


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Default: DEDUPCRAWL_WEB_HOST."),
    port: int | None = typer.Option(None, "--port", help="Default: DEDUPCRAWL_WEB_PORT."),
) -> None:
    """Serve the web UI, /api and /metrics (read-only unless DEDUPCRAWL_TOKEN is set)."""
    settings = settings_of(ctx)
    host = host or settings.web_host
    port = port if port is not None else settings.web_port
    if not port_is_free(port, host):  # checked first: uvicorn would log several lines, then exit
        raise ServiceError(f"cannot serve on {host}:{port}: the port is taken (choose one with --port)")
    with redis_connections(settings) as connections:
        stores = stores_of(connections, settings)
        app = web.create_app(stores, settings.archive, settings.token, settings.sites_file, settings.home)
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=False)
