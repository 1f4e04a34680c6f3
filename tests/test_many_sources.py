"""A document that reuses passages of many sources is traced to every one of them (issue 17, item 6),
and a Latin-script passage is traced whole (item 8), through the real ingest (Importer + Ingestor
on a real redis-server)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import redis

from bench.latin_corpus import english_paragraphs
from dedup.provenance import trace
from synthetic.corpus import CorpusDoc, generate
from tests.engine_stack import stores
from tests.web_data import KEYS, import_lines
from workers.flow.ingest import document_id
from workers.stores.store import Store

SOURCES = 10
COPIES = 2  # later reposts of each source: they share the passage as much as the source does


def _line(url: str, text: str, published: date) -> str:
    return json.dumps({"url": url, "text": text, "published": published.isoformat()}, ensure_ascii=False)


def _sources() -> tuple[list[CorpusDoc], list[CorpusDoc]]:
    docs = generate(200, seed=23)
    templates = [d for d in docs if d.role == "template"][:SOURCES]
    unrelated = [d for d in docs if d.role == "unrelated"]
    assert len(templates) == SOURCES and len(unrelated) >= 4
    return templates, unrelated


def _passage(doc: CorpusDoc) -> str:
    """The source's longest paragraph (at least 100 characters)."""
    best = max(doc.text.split("\n"), key=len)
    assert len(best) >= 100, doc.doc_id
    return best


def _found(store: Store, url: str, source_url: str, passage: str) -> float:
    """The share of `passage` (as it stands in the document at `url`) traced to `source_url`."""
    doc = store.get(document_id(url))
    assert doc is not None
    key = "".join(passage.split())
    start = "".join(doc.display.split()).find(key)
    assert start >= 0
    result = trace(doc.witness, len(doc.display), store.alignments(doc.doc_id))
    covered = set()
    for span in result.spans:
        if span.source.witness.url == source_url:
            covered.update(k for k in range(span.start, span.end) if not doc.display[k].isspace())
    nonspace = [k for k, ch in enumerate(doc.display) if not ch.isspace()]
    return len(covered & set(nonspace[start : start + len(key)])) / len(key)


def test_a_document_reusing_ten_sources_is_traced_to_all_of_them(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    templates, unrelated = _sources()
    day = date(2016, 1, 1)
    lines = [_line(t.url, t.text, day) for t in templates]
    for copy in range(COPIES):
        lines += [_line(f"{t.url}?copy={copy}", t.text + "\n转载自本站。", day + timedelta(30 + copy))
                  for t in templates]
    own = [p for d in unrelated[:4] for p in d.text.split("\n")]
    body = [piece for t, mine in zip(templates, own, strict=False) for piece in (mine, _passage(t))]
    compound = "https://mix.example.com/ten.html"
    lines.append(_line(compound, "\n".join(body), day + timedelta(400)))
    assert set(import_lines(redis_client, tmp_path / "warc", lines, "ten")) == {"indexed"}
    store = stores(redis_client, KEYS, warc_dir=tmp_path / "warc").documents
    found = {t.url: _found(store, compound, t.url, _passage(t)) for t in templates}
    assert all(share >= 0.9 for share in found.values()), found


def test_a_passage_identical_to_its_source_but_for_line_breaks_is_found(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    templates, unrelated = _sources()
    source = templates[0]
    passage = "".join(source.text.split("\n")[:4])[:236]
    broken = "\n".join(passage[i : i + 40] for i in range(0, len(passage), 40))
    day = date(2016, 1, 1)
    lines = [_line(source.url, source.text, day)]
    # Twelve pages quote the document's other text, so they share far more with it than the source.
    quoted = unrelated[0].text
    lines += [_line(f"https://quote.example.com/{n}.html", f"{quoted}\n转载{n}。", day + timedelta(n))
              for n in range(12)]
    doc = "https://mix.example.com/broken.html"
    lines.append(_line(doc, "\n".join([unrelated[0].text, broken, unrelated[1].text]), day + timedelta(60)))
    assert set(import_lines(redis_client, tmp_path / "warc", lines, "broken")) == {"indexed"}
    assert _found(
        stores(redis_client, KEYS, warc_dir=tmp_path / "warc").documents, doc, source.url, passage
    ) >= 0.9


def test_english_passages_are_traced_whole_through_the_ingest(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    # issue 17 item 8: a Latin-script passage, in an English page and in a Chinese one
    paragraphs = english_paragraphs(9, seed=4)
    passage = paragraphs[1]
    chinese = generate(3, 7)[2].text
    day = date(2016, 1, 1)
    source = "https://papers.example.org/source.html"
    lines = [
        _line(source, "\n".join(paragraphs[:3]), day),
        _line("https://papers.example.org/copy.html", "\n".join([paragraphs[3], passage, paragraphs[4]]),
              day + timedelta(5)),
        _line("https://zh.example.cn/page.html", "\n".join([chinese, passage]), day + timedelta(9)),
        _line("https://papers.example.org/other.html", "\n".join(paragraphs[5:]), day + timedelta(7)),
    ]
    assert set(import_lines(redis_client, tmp_path / "warc", lines, "english")) == {"indexed"}
    store = stores(redis_client, KEYS, warc_dir=tmp_path / "warc").documents
    assert _found(store, "https://papers.example.org/copy.html", source, passage) >= 0.97
    assert _found(store, "https://zh.example.cn/page.html", source, passage) >= 0.97
    other = store.get(document_id("https://papers.example.org/other.html"))
    assert other is not None and store.alignments(other.doc_id) == []  # stock phrases are no reuse
