"""Errors as the asker reads them: an HTML page for the pages, FastAPI's JSON for /api.

A 404 or 401 raised by a route, an unknown path, a malformed query (400) and an unexpected failure
(500, logged with its traceback) and an archived text that cannot be read (503, its one-line
reason) all reach a person in a browser as a page in the site's layout.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from workers.errors import TextUnavailable

LOG = logging.getLogger(__name__)
MACHINE_PATHS = ("/api/", "/openapi.json", "/docs", "/redoc", "/healthz", "/metrics")


def install(app: FastAPI) -> None:
    """Register the handlers; call before the security headers' middleware, which must wrap this."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_middleware(ServerErrors)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith(MACHINE_PATHS)


def error_page(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    response = request.app.state.services.render(
        "error.html", status, title=f"{status} {HTTPStatus(status).phrase}", message=message
    )
    response.headers.update(headers or {})
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    if wants_json(request) or not isinstance(exc, HTTPException):
        return await http_exception_handler(request, exc)  # type: ignore[arg-type]
    return error_page(request, exc.status_code, str(exc.detail), exc.headers)


async def bad_request(request: Request, exc: Exception) -> Response:
    if wants_json(request) or not isinstance(exc, RequestValidationError):
        return await request_validation_exception_handler(request, exc)  # type: ignore[arg-type]
    problems: dict[str, str] = {}
    for error in exc.errors():  # one line a parameter (a union type reports each of its arms)
        name = str(error["loc"][1] if len(error["loc"]) > 1 else error["loc"][0])
        problems.setdefault(name, f"{name}={error.get('input')!r}: {error['msg']}")
    return error_page(request, 400, "bad request: " + "; ".join(problems.values()))


class ServerErrors(BaseHTTPMiddleware):
    """An unexpected failure: logged with its traceback, answered with a page or JSON, no details."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except TextUnavailable as exc:  # the archive's fault, not the code's: said in one line
            LOG.warning("%s %s: %s", request.method, request.url.path, exc)
            if wants_json(request):
                return JSONResponse({"detail": str(exc)}, status_code=503)
            return error_page(request, 503, str(exc))
        except Exception:
            LOG.exception("%s %s failed", request.method, request.url.path)
            if wants_json(request):
                return JSONResponse({"detail": "internal server error"}, status_code=500)
            return error_page(request, 500, "the server failed on this page; the error is in its log")
