"""Web search latency: the title table and the passage-index phrase lookup vs a full scan.

Documents are generated speeches, normalized and written with the real `Store` and
`PassageIndex` on a real redis-server (no clustering: search does not use it). Queries are 40
title fragments and 40 phrases of 30 characters cut from random documents. `ours_*_ms` is the
median time of `Search.search` after its first catch-up (`catch_up_ms`, reading every title
once); the baseline `scan_*_ms` reads every document (text included) per query and checks title,
URL and text, which is what a search without an index does. `phrase_recall` is the share of the
scan's phrase hits that ours finds too.

Usage: bench/search.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from archive.keys import Keys
from dedup.normalize import normalize_text
from synthetic.corpus import generate
from workers.engine import EngineConfig
from workers.read.search import Search
from workers.redis.redis_server import RedisServer, stop_process
from workers.stores.store import Store, StoredDocument
from workers.stores.store_set import open_stores

KEYS = Keys("bench")


def load(connection: redis.Redis, n_docs: int, archive: Path) -> list[StoredDocument]:
    opened = open_stores(connection, KEYS, EngineConfig(), archive)
    store, passages, saved = opened.documents, opened.passages, []
    for d in generate(n_docs, seed=17):
        norm = normalize_text(d.noisy, d.doc_id, title=d.title)
        doc = StoredDocument(
            doc_id=d.doc_id, url=d.url, final_url=d.url, site=d.site, site_kind=d.site_kind, source="bench",
            title=d.title, published=d.published, fetched_at=None, captures=(), display=norm.display,
            original=norm.original, removed=(), truncated=False, extractor="bench",
            norm_version=norm.norm_version, fingerprint_id="bench", key_hash="", content_hash="",
        )
        saved.append(store.save(doc))
        passages.add_and_query(d.doc_id, norm)
    return saved


def scan(store: Store, query: str) -> set[str]:
    ids = store.document_ids()
    hits = set()
    for start in range(0, len(ids), 500):
        for doc in store.get_many(ids[start : start + 500]):
            if doc and (query in (doc.title or "") or query in doc.url or query in doc.display):
                hits.add(doc.doc_id)
    return hits


def timed(run: Callable[[str], object], queries: list[str]) -> tuple[float, list[object]]:
    took, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(run(query))
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), found


def queries(docs: list[StoredDocument], rng: random.Random) -> tuple[list[str], list[str]]:
    picked = rng.sample(docs, 40)
    titles = [(d.title or "")[2:12] for d in picked]
    phrases = []
    for d in picked:
        at = rng.randrange(0, max(1, len(d.display) - 40))
        phrases.append(d.display[at : at + 30])
    return titles, phrases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 documents instead of 5,000")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    n_docs = 1000 if args.quick else 5000
    with tempfile.TemporaryDirectory() as tmp:
        info = RedisServer(Path(tmp)).start()
        try:
            result = run(redis.Redis.from_url(info.url), n_docs, Path(tmp) / "warc")
        finally:
            stop_process(info.pid)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22} {value}")


def run(connection: redis.Redis, n_docs: int, archive: Path) -> dict[str, float]:
    print(f"loading {n_docs} documents", file=sys.stderr)
    docs = load(connection, n_docs, archive)
    titles, phrases = queries(docs, random.Random(5))
    opened = open_stores(connection, KEYS, EngineConfig(), archive)
    search, store = Search(opened), opened.documents
    started = time.perf_counter()
    search.titles.catch_up()
    catch_up_ms = (time.perf_counter() - started) * 1000
    ours_title, _ = timed(lambda q: search.search(q), titles)
    ours_phrase, ours_found = timed(lambda q: {h.id for h in search.search(q, 200).hits}, phrases)
    scan_title, _ = timed(lambda q: scan(store, q), titles[:10])
    scan_phrase, scan_found = timed(lambda q: scan(store, q), phrases[:10])
    wanted = sum(len(s) for s in scan_found)  # type: ignore[arg-type]
    got = sum(len(s & o) for s, o in zip(scan_found, ours_found, strict=False))  # type: ignore[operator]
    return {
        "documents": n_docs,
        "catch_up_ms": round(catch_up_ms, 1),
        "ours_title_ms": round(ours_title, 2),
        "ours_phrase_ms": round(ours_phrase, 2),
        "scan_title_ms": round(scan_title, 1),
        "scan_phrase_ms": round(scan_phrase, 1),
        "title_speedup": round(scan_title / ours_title, 1),
        "phrase_speedup": round(scan_phrase / ours_phrase, 1),
        "phrase_recall": round(got / wanted, 4) if wanted else 1.0,
    }


if __name__ == "__main__":
    main()
