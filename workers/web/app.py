"""The FastAPI app: server-rendered pages, the same data as JSON under /api, and /metrics.

Crawled text is untrusted: templates autoescape everything (no `|safe` on crawled text), every
response carries a CSP that allows no script at all, and the archived capture is served as
sandboxed plain text. Reading needs nothing; changing state needs the token.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from urllib.parse import urlsplit

import redis
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisClusterException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from archive.location import ArchiveRoot
from archive.urls import display_url
from dedup.dates import evidence_label
from workers.read.catalog import Catalog
from workers.read.metrics import registry
from workers.read.search import Search
from workers.stores.cluster_store import ClusterStore
from workers.stores.store_set import Stores
from workers.web import api, error_pages, ops, pages

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class Services:
    """What the routes need, built once per app."""

    def __init__(
        self, stores: Stores, warc_dir: ArchiveRoot, token: str | None, sites_file: Path | None, home: Path
    ) -> None:
        self.connection = stores.queues  # crawls enqueued, failed jobs acted on
        self.index = stores.connection
        self.keys = stores.keys
        self.warc_dir = warc_dir
        self.home = home  # this host's data directory (crawl logs), not necessarily the archive's parent
        self.sites_file = sites_file
        self.catalog = Catalog(stores)
        self.search = Search(stores)
        self.passages = stores.passages
        self.clusters: ClusterStore = stores.clusters
        self._token = token.encode("utf-8") if token else None
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
        self.templates.filters["iri"] = display_url  # URLs are stored percent-encoded, read in Unicode
        self.templates.filters["evidence"] = evidence_label  # a date's evidence, shown beside it

    @property
    def token_configured(self) -> bool:
        return self._token is not None

    def authorized(self, offered: str | None) -> bool:
        """Constant-time comparison; with no token configured nothing may change state."""
        if self._token is None or not offered:
            return False
        return hmac.compare_digest(self._token, offered.encode("utf-8"))

    def render(self, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code)


def secured(response: Response) -> Response:
    """The security headers every response carries (a route may set a stricter CSP)."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def path_only(location: str) -> str:
    """A redirect target without scheme and host: Starlette builds them from the Host header,
    which the client chooses (`Host: evil.example` would send the user there)."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    path = "/" + parts.path.lstrip("/")  # never `//host`, which a browser reads as another host
    return path + (f"?{parts.query}" if parts.query else "")


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        if "location" in response.headers:
            response.headers["location"] = path_only(response.headers["location"])
        return secured(response)


def server_error(request: Request, exc: Exception) -> Response:
    """A 500 answered outside every middleware, so it gets the headers here; no detail shown."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return secured(PlainTextResponse("internal server error", status_code=500))


def _default_home(warc_dir: ArchiveRoot) -> Path:
    """The data directory of the default layout (`<home>/warc`); an object store's spool's parent."""
    return Path(warc_dir).parent if isinstance(warc_dir, str | Path) else warc_dir.spool.parent


def create_app(
    stores: Stores,
    warc_dir: ArchiveRoot,
    token: str | None,
    sites_file: Path | None = None,
    home: Path | None = None,
) -> FastAPI:
    """The app; `home` (crawl logs) defaults to the archive's parent, the default layout."""
    # No /docs or /redoc: they load their scripts from a CDN, which the CSP forbids (a blank
    # page); the schema stays at /openapi.json.
    app = FastAPI(
        title="dedupcrawl",
        version="1",
        description="Near-duplicate clusters and provenance.",
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(Exception, server_error)
    app.state.services = Services(stores, warc_dir, token, sites_file, home or _default_home(warc_dir))
    servers = [stores.queues] if stores.connection is stores.queues else [stores.queues, stores.connection]
    error_pages.install(app)  # inside the security headers, so error pages get them too
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(ops.router)
    metrics = registry(stores.queues, stores.keys, stores.connection)

    @app.get("/metrics", include_in_schema=False)
    def metrics_route() -> Response:
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["service"])
    def healthz() -> JSONResponse:
        """200 when Redis answers (the index's too, when it has its own)."""
        try:
            for server in servers:
                server.ping()
        except (redis.RedisError, RedisClusterException) as exc:
            # Its message may name the socket's path or the server's address: logged, not shown.
            logger.warning("healthz: Redis does not answer: %s", exc)
            return JSONResponse({"ok": False, "error": f"Redis does not answer ({type(exc).__name__})"}, 503)
        return JSONResponse({"ok": True})

    return app
