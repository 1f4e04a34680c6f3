"""JSON API under /api: the same records the pages render, described by the OpenAPI schema."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request
from pydantic import Field

from workers.errors import NotFound, ServiceError
from workers.read.catalog import ClusterDetail, ClusterPage, ClusterQuery, Dashboard
from workers.read.document_view import Comparison, DocumentView, compare, full_view
from workers.read.search import SearchResult
from workers.web import actions

router = APIRouter(prefix="/api", tags=["api"])

Sort = Literal["size", "date", "title", "sites", "reuse"]
Order = Literal["desc", "asc"]


def services(request: Request) -> Any:
    return request.app.state.services


def cluster_query(
    min_size: Annotated[int, Query(ge=1, le=1_000_000)] = 2,
    max_size: Annotated[
        Annotated[int, Field(ge=0, le=1_000_000)] | Literal[""], Query(description="Empty or 0: no bound.")
    ] = "",
    site: Annotated[str, Query(max_length=200)] = "",
    q: Annotated[str, Query(max_length=200, description="Filter on the representative's title/URL.")] = "",
    since: Annotated[date | Literal[""] | None, Query(description="A member published on or after.")] = None,
    until: Annotated[date | Literal[""] | None, Query(description="A member published on or before.")] = None,
    min_reuse: Annotated[float, Query(ge=0, le=100, description="The representative's reuse, %.")] = 0,
    sort: Sort = "size",
    order: Order = "desc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClusterQuery:
    """The clusters list's query parameters (shared by the page and the API; empty is no bound)."""
    return ClusterQuery(
        min_size=min_size, max_size=max_size or 0, site=site, text=q, since=since or None,
        until=until or None, min_reuse=min_reuse / 100, sort=sort, descending=order != "asc", page=page,
        per_page=per_page,
    )


@router.get("/dashboard")
def api_dashboard(request: Request) -> Dashboard:
    """Crawl runs, queue depths, counts of documents and clusters, rejections by reason."""
    return services(request).catalog.dashboard()


@router.get("/clusters")
def api_clusters(request: Request, query: Annotated[ClusterQuery, Depends(cluster_query)]) -> ClusterPage:
    return services(request).catalog.cluster_page(query)


@router.get("/clusters/{cluster_id}", responses={404: {"description": "No such cluster"}})
def api_cluster(request: Request, cluster_id: str) -> ClusterDetail:
    detail = services(request).catalog.cluster_detail(cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id}")
    return detail


@router.get("/documents/{doc_id}", responses={404: {"description": "No such document"}})
def api_document(request: Request, doc_id: str) -> DocumentView:
    catalog = services(request).catalog
    doc = catalog.document(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    return full_view(catalog, doc)[0]


@router.get("/documents/{doc_id}/compare/{other_id}", responses={404: {"description": "No such document"}})
def api_compare(request: Request, doc_id: str, other_id: str) -> Comparison:
    catalog = services(request).catalog
    doc, other = catalog.document(doc_id), catalog.document(other_id)
    if doc is None or other is None:
        raise HTTPException(404, f"no document {doc_id if doc is None else other_id}")
    return compare(catalog, doc, other)[0]


@router.get("/search")
def api_search(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="A title, URL or phrase of the text.")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SearchResult:
    return services(request).search.search(q, limit)


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def require_token(request: Request, offered: str | None) -> None:
    if not services(request).authorized(offered):
        challenge = {"WWW-Authenticate": "Bearer"}
        raise HTTPException(401, "a valid DEDUPCRAWL_TOKEN is required", headers=challenge)


@router.post("/crawls", status_code=202, responses={401: {"description": "Token missing or wrong"}})
def api_enqueue_crawl(
    request: Request,
    site: Annotated[str, Body(embed=True, max_length=200)],
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """Put a crawl of a configured site on the crawl queue (needs the token)."""
    require_token(request, bearer(authorization))
    return {"job_id": enqueue(request, site)}


@router.delete("/documents/{doc_id}", responses={401: {"description": "Token missing or wrong"}})
def api_delete_document(
    request: Request, doc_id: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, bool]:
    """Remove a document from the store and every index (needs the token)."""
    require_token(request, bearer(authorization))
    return {"deleted": delete(request, doc_id)}


def enqueue(request: Request, site: str) -> str:
    svc = services(request)
    try:
        return actions.enqueue_crawl(svc.connection, site, svc.sites_file)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ServiceError as exc:
        raise HTTPException(409, str(exc)) from None


def delete(request: Request, doc_id: str) -> bool:
    svc = services(request)
    if not actions.delete_document(svc.catalog.store, svc.clusters, svc.passages, doc_id):
        raise HTTPException(404, f"no document {doc_id}")
    return True
