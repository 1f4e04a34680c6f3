"""The two things the web app may change: enqueue a crawl, delete a document."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import redis
from rq import Retry

from crawler.config import load_sites
from crawler.errors import CrawlerError
from crawler.queues import CRAWL, queue
from workers.errors import NotFound, ServiceError
from workers.flow.scheduler import CRAWL_FUNCTION, CRAWL_TIMEOUT_S
from workers.flow.transitions import DocumentIndexes
from workers.stores.cluster_store import ClusterStore
from workers.stores.passage_index import PassageIndex
from workers.stores.store import Store


def enqueue_crawl(connection: redis.Redis, site: str, sites_file: Path | None) -> str:
    """Put a crawl of `site` on the crawl queue now; returns the job id."""
    if sites_file is None:
        raise ServiceError("no sites file is configured (DEDUPCRAWL_SITES)")
    try:
        load_sites(sites_file).site(site)
    except CrawlerError as exc:
        raise NotFound(str(exc)) from None
    job_id = f"crawl-{site}-manual-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    queue(CRAWL, connection).enqueue(
        CRAWL_FUNCTION, site, str(sites_file), job_id=job_id, job_timeout=CRAWL_TIMEOUT_S,
        retry=Retry(max=1, interval=300), result_ttl=30 * 86400,
    )
    return job_id


def delete_document(store: Store, clusters: ClusterStore, passages: PassageIndex, doc_id: str) -> bool:
    """Remove a document from every index and the store (workers.flow.transitions); it, its former
    cluster's members and the documents it was aligned with are marked changed, so an
    incremental export notices them."""
    doc = store.get(doc_id)
    if doc is None:
        return False
    DocumentIndexes(store, clusters, passages).delete(doc)
    return True
