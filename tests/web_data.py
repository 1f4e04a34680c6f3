"""Demo data for the read-side tests: a generated corpus imported through the real ingest pipeline,
plus one hostile page whose title and text carry script payloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import redis

from archive.keys import Keys
from archive.warc import WarcArchive
from dedup.records import Rejection
from synthetic.corpus import CorpusDoc, generate
from tests.engine_stack import new_ingestor
from workers.flow.imports import Importer

KEYS = Keys("t")
HOSTILE_URL = "https://evil.example/page.html"
HOSTILE_TITLE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
HOSTILE_HTML = (
    "<html><head><title>x</title><script>document.title='pwned'</script></head><body><article>"
    "<h1>&lt;script&gt;document.title='pwned'&lt;/script&gt;</h1>"
    "<p>会议强调，&lt;img src=x onerror=\"document.title='pwned'\"&gt;要深入学习贯彻全会精神，"
    "坚持以人民为中心的发展思想，推动各项工作落地见效。</p>"
    "<p>&lt;script&gt;document.title='pwned'&lt;/script&gt;各级党组织要切实履行主体责任，"
    "把学习成果转化为推动高质量发展的实际行动。<img src=x onerror=\"document.title='pwned'\"></p>"
    "</article></body></html>"
)


def corpus_lines(docs: list[CorpusDoc]) -> list[str]:
    return [
        json.dumps({"url": d.url, "text": d.noisy, "title": d.title, "published": d.published.isoformat()},
                   ensure_ascii=False)
        for d in docs
    ]


def hostile_line() -> str:
    return json.dumps({"url": HOSTILE_URL, "html": HOSTILE_HTML, "title": HOSTILE_TITLE,
                       "published": "2024-05-01"}, ensure_ascii=False)


def import_lines(connection: redis.Redis, warc_dir: Path, lines: list[str], name: str) -> list[str]:
    """Ingest JSON Lines through Importer + Ingestor; returns the outcome statuses."""
    path = warc_dir.parent / f"{name}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingestor = new_ingestor(connection, KEYS, warc_dir)
    archive = WarcArchive(warc_dir, name)
    statuses = []
    for item in Importer(archive).jsonl(path):
        if isinstance(item, Rejection):
            ingestor.store.reject(item)
            statuses.append("rejected")
        else:
            statuses.append(ingestor.ingest_capture(item).status)
    archive.close()
    return statuses


def build(connection: redis.Redis, warc_dir: Path, n_docs: int = 40, seed: int = 5) -> list[CorpusDoc]:
    """The demo store: `n_docs` generated speeches, the hostile page and one bad line."""
    docs = generate(n_docs, seed=seed)
    import_lines(connection, warc_dir, [*corpus_lines(docs), hostile_line(), "{not json"], "demo")
    return docs


def touching_spans(
    doc_ids: Iterable[str], spans_of: Callable[[str], list[dict[str, Any]]]
) -> tuple[str, list[int]]:
    """The first document whose reused spans touch one another with different sources, and the
    indexes i of the spans that end where span i + 1 of another source begins."""
    for doc_id in doc_ids:
        spans = spans_of(doc_id)
        touching = [i for i in range(len(spans) - 1) if spans[i]["end"] == spans[i + 1]["start"]
                    and spans[i]["source"]["id"] != spans[i + 1]["source"]["id"]]
        if touching:
            return doc_id, touching
    raise AssertionError("no document has touching spans from different sources")
