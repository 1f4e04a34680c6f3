"""Export clean uniques: one representative per cluster and every singleton, with provenance.

The cursor is the store's change counter (`Keys.change_seq`); every save or index of a document
bumps it (`Keys.changes`). `export(since=C)` looks only at documents changed after C, finds their
live clusters, and emits each cluster's current representative. `Keys.exported` remembers which
documents earlier exports emitted: a member that was emitted before and is no longer the
representative (a merge or an earlier copy arrived) is listed in the new record's `replaces`; an
emitted document that is gone is written as a `deleted` record. A full export (no cursor)
starts that memory afresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dedup.provenance import Trace
from dedup.reasons import DocumentState
from workers.errors import ServiceError
from workers.flow.relink import settle
from workers.read.catalog import Catalog
from workers.read.document_view import versions
from workers.stores.cluster_store import ClusterInfo
from workers.stores.replies import text_of
from workers.stores.store import StoredDocument
from workers.stores.store_set import Stores

EXPORT_VERSION = "export-1"
FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True, slots=True)
class ExportRecord:
    id: str
    url: str = ""
    site: str = ""
    title: str | None = None
    published: str | None = None
    text: str = ""
    cluster_id: str | None = None
    cluster_size: int = 0
    member_urls: list[str] = field(default_factory=list)
    reuse_ratio: float = 0.0
    sources: list[dict[str, Any]] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    replaces: list[str] = field(default_factory=list)
    deleted: bool = False
    traced: bool = True  # False: clustered, its sources not traced yet (deferred): written again once traced


@dataclass(frozen=True, slots=True)
class ExportBatch:
    records: list[ExportRecord]
    cursor: int
    since: int


_SPAN = pa.list_(pa.int64())
SCHEMA = pa.schema([
    ("id", pa.string()), ("url", pa.string()), ("site", pa.string()), ("title", pa.string()),
    ("published", pa.string()), ("text", pa.string()), ("cluster_id", pa.string()),
    ("cluster_size", pa.int64()), ("member_urls", pa.list_(pa.string())), ("reuse_ratio", pa.float64()),
    ("sources", pa.list_(pa.struct([
        ("id", pa.string()), ("url", pa.string()), ("site", pa.string()), ("published", pa.string()),
        ("spans", pa.list_(_SPAN)),
    ]))),
    ("captures", pa.list_(pa.struct([
        ("capture_id", pa.string()), ("url", pa.string()), ("warc_file", pa.string()),
        ("offset", pa.int64()), ("length", pa.int64()), ("payload_digest", pa.string()),
        ("fetched_at", pa.string()),
    ]))),
    ("versions", pa.struct([
        ("norm", pa.string()), ("fingerprint", pa.string()),
        ("provenance", pa.string()), ("export", pa.string()),
    ])),
    ("replaces", pa.list_(pa.string())), ("deleted", pa.bool_()), ("traced", pa.bool_()),
])


class Exporter:
    def __init__(self, stores: Stores) -> None:
        self.connection = stores.connection
        self.keys = stores.keys
        self.catalog = Catalog(stores)

    def export(self, since: int | None = None) -> ExportBatch:
        """Every unique that changed after `since` (all of them with None), and the new cursor.
        Pending pair links are aligned first (workers.flow.relink), so what it reads is the same
        whatever order the documents came in."""
        settle(self.catalog.store, self.catalog.engine.align)
        cursor = int(self.connection.get(self.keys.change_seq) or 0)
        if since is not None and since > cursor:
            raise ServiceError(f"cursor {since} is ahead of the store ({cursor}): rebuilt? export in full")
        if since is None:
            self.connection.delete(self.keys.exported)
        start = since or 0
        changed = [text_of(v) for v in self.connection.zrangebyscore(self.keys.changes, start + 1, cursor)]
        clusters, records = self._touched(changed)
        for info in clusters.values():
            record = self._unique(info, start)
            if record is not None:
                records.append(record)
        # by id, not by the order of changes (the ingest order): the same store, the same bytes
        return ExportBatch(sorted(records, key=lambda r: (r.id, r.deleted)), cursor, start)

    def _touched(self, changed: list[str]) -> tuple[dict[str, ClusterInfo], list[ExportRecord]]:
        """Live clusters of the changed documents; deleted records for emitted ones now gone."""
        clusters: dict[str, ClusterInfo] = {}
        gone: list[ExportRecord] = []
        for doc_id, state in zip(changed, self._states(changed), strict=True):
            if state is None:
                if self.connection.hdel(self.keys.exported, doc_id):
                    gone.append(ExportRecord(doc_id, deleted=True, versions=_versions_only()))
            elif state == DocumentState.INDEXED:  # pending documents are bumped again once indexed
                info = self._cluster(doc_id)
                if info is not None:
                    clusters.setdefault(info.cluster_id, info)
        return clusters, gone

    def _states(self, doc_ids: list[str]) -> list[str | None]:
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.hget(self.keys.doc(doc_id), "state")
        return [None if v is None else text_of(v) for v in pipe.execute()]

    def _cluster(self, doc_id: str) -> ClusterInfo | None:
        cluster_id = self.catalog.clusters.cluster_of(doc_id)
        return self.catalog.clusters.cluster(cluster_id) if cluster_id else None

    def _unique(self, info: ClusterInfo, since: int) -> ExportRecord | None:
        members = [m.doc_id for m in self.catalog.clusters.members(info.cluster_id)]
        previous = self.connection.hmget(self.keys.exported, members) if members else []
        emitted = [m for m, v in zip(members, previous, strict=True) if v is not None]
        replaced = sorted(m for m in emitted if m != info.representative)
        rep = self.catalog.store.get(info.representative)
        if rep is None:
            return None
        pipe = self.connection.pipeline(transaction=True)
        if replaced:
            pipe.hdel(self.keys.exported, *replaced)
        pipe.hset(self.keys.exported, rep.doc_id, info.cluster_id)
        pipe.execute()
        summaries = self.catalog.summaries(members)
        urls = sorted(s.url for s in summaries.values())
        return record_of(rep, info, urls, self.catalog.trace(rep), replaced)


def record_of(
    doc: StoredDocument, info: ClusterInfo, member_urls: list[str], traced: Trace, replaces: list[str]
) -> ExportRecord:
    return ExportRecord(
        id=doc.doc_id,
        url=doc.url,
        site=doc.site,
        title=doc.title,
        published=doc.published.isoformat() if doc.published else None,
        text=doc.display,
        cluster_id=info.cluster_id,
        cluster_size=info.size,
        member_urls=member_urls,
        reuse_ratio=round(traced.reuse_ratio, 6),
        sources=sources_of(traced),
        captures=[_capture(c) for c in doc.captures],
        versions={**versions(doc), "export": EXPORT_VERSION},
        replaces=replaces,
        traced=not doc.untraced,
    )


def sources_of(traced: Trace) -> list[dict[str, Any]]:
    """Each earliest source with the spans it gave: [start, end, source_start, source_end]."""
    found: dict[str, dict[str, Any]] = {}
    for span in traced.spans:
        w = span.source.witness
        entry = found.setdefault(w.doc_id, {
            "id": w.doc_id, "url": w.url, "site": w.site,
            "published": w.published.isoformat() if w.published else None, "spans": [],
        })
        entry["spans"].append([span.start, span.end, span.source.start, span.source.end])
    return list(found.values())


def _capture(ref: dict[str, Any]) -> dict[str, Any]:
    names = ("capture_id", "url", "warc_file", "offset", "length", "payload_digest", "fetched_at")
    return {name: ref.get(name) for name in names}


def _versions_only() -> dict[str, str]:
    return {"norm": "", "fingerprint": "", "provenance": "", "export": EXPORT_VERSION}


def write(records: Iterable[ExportRecord], out: Path, fmt: str) -> int:
    """Write JSON Lines or Parquet to `out` whole or not at all; returns the number of records."""
    if fmt not in FORMATS:
        raise ServiceError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    rows = [asdict(r) for r in records]
    partial = out.with_name(f".{out.name}.partial")
    try:
        _write_rows(rows, partial, fmt)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ServiceError(f"cannot write {out}: {exc.strerror or exc}") from None
    return len(rows)


def _write_rows(rows: list[dict[str, Any]], path: Path, fmt: str) -> None:
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
