"""RQ job functions, referenced by dotted path (`workers.jobs.ingest_document`).

`dedupcrawl worker` builds one Ingestor before it starts working, so every forked job finds it
ready; a worker started some other way (plain `rq worker`) builds it from the settings once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import redis
from rq import get_current_job

from crawler.capture import DocumentCapture
from workers.errors import ServiceError
from workers.ingest import Ingestor
from workers.keys import Keys
from workers.settings import load_settings

_ingestor: Ingestor | None = None


def configure(ingestor: Ingestor | None) -> None:
    global _ingestor
    _ingestor = ingestor


def ingest_document(capture: dict[str, Any]) -> dict[str, Any]:
    """One crawled or imported document through the whole pipeline; returns its Outcome."""
    outcome = _current_ingestor().ingest_capture(DocumentCapture.from_dict(capture))
    return dataclasses.asdict(outcome)


def build_ingestor(connection: redis.Redis) -> Ingestor:
    settings = load_settings()
    return Ingestor(connection, Keys(settings.key_prefix), settings.warc_dir)


def _current_ingestor() -> Ingestor:
    if _ingestor is not None:
        return _ingestor
    job = get_current_job()
    if job is None:
        raise ServiceError("ingest_document runs inside an RQ job or after jobs.configure()")
    configure(build_ingestor(job.connection))
    return _current_ingestor()
