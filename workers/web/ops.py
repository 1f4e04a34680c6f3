"""The operations page (/ops) and its JSON twin (/api/ops), with the failed-job actions.

Requeueing or deleting a failed job changes state, so it needs the token like every other
state-changing route (form field on the page, `Authorization: Bearer` on the API)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from workers.errors import NotFound
from workers.read import operations
from workers.web.api import bearer, require_token, services

router = APIRouter(tags=["operations"])
ACTIONS = {"requeue": operations.requeue_failed, "delete": operations.delete_failed}


def snapshot(request: Request) -> operations.Operations:
    svc = services(request)
    return operations.collect(svc.connection, svc.keys, svc.home, svc.sites_file, svc.catalog.store)


@router.get("/ops", response_class=HTMLResponse)
def ops_page(request: Request) -> HTMLResponse:
    svc = services(request)
    return svc.render("ops.html", title="Operations", ops=snapshot(request), token_set=svc.token_configured)


@router.get("/api/ops")
def api_ops(request: Request) -> dict[str, Any]:
    """Workers (dead ones flagged), queues, failed jobs with tracebacks, recent crawls and their
    log files, the schedule's next and last slots with outcomes, rejections and removals by reason."""
    return dataclasses.asdict(snapshot(request))


@router.post("/ops/jobs/{job_id}/{action}", response_class=Response)
def job_form(
    request: Request, job_id: str, action: str, token: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    svc = services(request)
    if not svc.authorized(token):
        return svc.render("error.html", 401, title="Not allowed", message="a valid token is required")
    _act(request, job_id, action)
    return RedirectResponse("/ops", status_code=303)


@router.post("/api/jobs/{job_id}/{action}", responses={401: {"description": "Token missing or wrong"}})
def api_job(
    request: Request, job_id: str, action: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, str]:
    """`requeue` or `delete` a failed job (needs the token)."""
    require_token(request, bearer(authorization))
    return {"job_id": job_id, "action": action, "queue": _act(request, job_id, action)}


def _act(request: Request, job_id: str, action: str) -> str:
    if action not in ACTIONS:
        raise HTTPException(404, f"no action {action!r} (requeue or delete)")
    try:
        return ACTIONS[action](services(request).connection, job_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
