"""Server-rendered pages; each reads the same records as its /api twin."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from archive.capture import CaptureRef
from archive.errors import WarcReadError
from archive.warc import ArchivedResponse, read_response
from dedup.records import Page
from workers.read.catalog import ClusterQuery
from workers.read.document_view import compare, full_view
from workers.read.highlight import pair_segments, trace_segments
from workers.web.api import cluster_query, delete, enqueue, services

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)
CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9_-]{1,40})")
LABEL = re.compile(r"[A-Za-z0-9_-]{1,40}")
BLANK = re.compile(r"(\{\{\d+\}\})")
CAPTURE_CSP = "sandbox; default-src 'none'"
MAX_BODY_CHARS = 500_000  # a capture page shows at most this much of the body (the raw route has all)


def not_found(request: Request, what: str) -> HTMLResponse:
    return services(request).render("error.html", 404, title="Not found", message=what)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    svc = services(request)
    top = svc.catalog.cluster_page(ClusterQuery(per_page=5)).rows
    return svc.render("dashboard.html", title="Dashboard", board=svc.catalog.dashboard(), top=top,
                      token_set=svc.token_configured)


@router.get("/clusters", response_class=HTMLResponse)
def clusters(request: Request, query: Annotated[ClusterQuery, Depends(cluster_query)]) -> HTMLResponse:
    svc = services(request)
    listing = svc.catalog.cluster_page(query)
    pages = max(1, -(-listing.total // query.per_page))
    order = "desc" if query.descending else "asc"
    reuse_pct = f"{query.min_reuse * 100:g}"
    return svc.render(
        "clusters.html", title="Clusters", listing=listing, query=query, order=order, pages=pages,
        reuse_pct=reuse_pct,
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: str) -> HTMLResponse:
    detail = services(request).catalog.cluster_detail(cluster_id)
    if detail is None:
        return not_found(request, f"no cluster {cluster_id}")
    parts = [(text, bool(i % 2)) for i, text in enumerate(BLANK.split(detail.template))]
    by_id = {m.id: m for m in detail.members}
    return services(request).render(
        "cluster.html", title=f"Cluster {detail.id}", cluster=detail, parts=parts, by_id=by_id
    )


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document(request: Request, doc_id: str) -> HTMLResponse:
    catalog = services(request).catalog
    doc = catalog.document(doc_id)
    if doc is None:
        return not_found(request, f"no document {doc_id}")
    view, traced, differs = full_view(catalog, doc)
    return services(request).render(
        "document.html", title=doc.title or doc.url, doc=view,
        segments=trace_segments(doc.display, traced, differs),
        spans=view.spans, token_set=services(request).token_configured,
    )


@router.get("/documents/{doc_id}/compare/{other_id}", response_class=HTMLResponse)
def side_by_side(request: Request, doc_id: str, other_id: str) -> HTMLResponse:
    catalog = services(request).catalog
    doc, other = catalog.document(doc_id), catalog.document(other_id)
    if doc is None or other is None:
        return not_found(request, f"no document {doc_id if doc is None else other_id}")
    view, pairs = compare(catalog, doc, other)
    left, right = pair_segments(doc.display, other.display, pairs)
    return services(request).render("compare.html", title="Side by side", view=view, left=left, right=right)


@router.get(
    "/documents/{doc_id}/captures/{index}",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "The archived response body"}},
)
def capture(request: Request, doc_id: str, index: int) -> Response:
    """The archived response body, as sandboxed plain text (never rendered as HTML)."""
    page = archived(request, doc_id, index)[1].page
    headers = {"Content-Security-Policy": CAPTURE_CSP, "Content-Disposition": "inline"}
    return Response(page.body, media_type=f"text/plain; charset={charset(page)}", headers=headers)


@router.get("/documents/{doc_id}/captures/{index}/record", response_class=HTMLResponse)
def capture_record(request: Request, doc_id: str, index: int) -> HTMLResponse:
    """One capture: the WARC record's id, date and file, the HTTP status and headers, the body."""
    ref, response = archived(request, doc_id, index)
    page = response.page
    body = body_text(page)
    return services(request).render(
        "capture.html", title=f"Capture {index + 1}", doc_id=doc_id, index=index, ref=ref,
        status=response.status_line or str(ref.status), headers=page.headers, warc=response.warc_headers,
        fields=dict(response.warc_headers), body=body[:MAX_BODY_CHARS],
        cut=max(0, len(body) - MAX_BODY_CHARS),
    )


def body_text(page: Page) -> str:
    """The body decoded by its declared charset (utf-8 when Python does not know that one)."""
    try:
        return page.body.decode(charset(page), errors="replace")
    except LookupError:
        return page.body.decode("utf-8", errors="replace")


def archived(request: Request, doc_id: str, index: int) -> tuple[CaptureRef, ArchivedResponse]:
    """The document's capture `index` as archived, or a 404."""
    svc = services(request)
    doc = svc.catalog.document(doc_id)
    if doc is None or not 0 <= index < len(doc.captures):
        raise HTTPException(404, "no such capture")
    try:
        ref = CaptureRef.from_dict(dict(doc.captures[index]))
        return ref, read_response(svc.warc_dir, ref)
    except (WarcReadError, KeyError, ValueError, TypeError) as exc:
        raise HTTPException(404, f"the capture cannot be read: {exc}") from None


def charset(page: Page) -> str:
    """The archived response's declared charset (so GBK pages read right), else utf-8."""
    found = CHARSET.search(page.header("Content-Type") or "")
    chosen = page.encoding_override or (found.group(1) if found else "")
    return chosen.lower() if LABEL.fullmatch(chosen) else "utf-8"


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HTMLResponse:
    svc = services(request)
    return svc.render("search.html", title="Search", result=svc.search.search(q, limit))


@router.post("/crawls", response_class=HTMLResponse)
def crawl_form(
    request: Request,
    site: Annotated[str, Form(max_length=200)],
    token: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    svc = services(request)
    if not svc.authorized(token):
        return svc.render("error.html", 401, title="Not allowed", message="a valid token is required")
    job_id = enqueue(request, site)
    return svc.render("done.html", title="Crawl enqueued", message=f"crawl of {site} enqueued as {job_id}")


@router.post("/documents/{doc_id}/delete", response_class=Response)
def delete_form(request: Request, doc_id: str, token: Annotated[str, Form(max_length=500)] = "") -> Response:
    svc = services(request)
    if not svc.authorized(token):
        return svc.render("error.html", 401, title="Not allowed", message="a valid token is required")
    delete(request, doc_id)
    return RedirectResponse("/", status_code=303)
