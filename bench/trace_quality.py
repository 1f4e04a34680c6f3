"""Passage-trace quality on the generator corpus: character precision/recall and source accuracy.

The whole pipeline of the trace stage runs offline on `CorpusDoc.text`: normalize, winnowed
passage fingerprints in an in-memory index (the same scheme `workers.stores.passage_index` keeps in
Redis, same frequency cap), alignment against every candidate, provenance with every other
document as a witness. Ground-truth spans are offsets into `text`; predictions are display
offsets, mapped back to `text` when the normalizer changed the text.

Scores are over non-whitespace characters (a line break between two reused paragraphs is not
text anyone reused):
    trace_char_precision  reused chars predicted that are reused in the ground truth
    trace_char_recall     reused chars in the ground truth that are predicted
    source_accuracy       of the chars both call reused, the share with the right source doc
    trace_noisy_*, noisy_source_accuracy   the same on crawled-page text (`noisy`) of half as
                          many documents: chrome, page chunks, traditional characters, garbles

PAN-style case measures (Potthast et al. 2010) on the suspicious side: a reused span of the
ground truth is a case, a traced span a detection; a detection detects a case when it overlaps
it and names its source. `*_plagdet` = F1 of the macro precision and recall over
log2(1 + granularity), granularity = detections per detected case:
    trace_plagdet, trace_pan_precision, trace_pan_recall, trace_granularity   the Chinese corpus
    many_sources_*        documents (`--many` of them) each reusing one paragraph of >= 100
                          characters from each of 10 templates of the corpus, among their own
                          text; `many_sources_recall` = share of those passages of which at least
                          half the characters are traced to their source
    latin_*               bench/latin_corpus.py: 30 English sources and 35 suspicious documents
                          copying 1-4 passages of 2-6 sentences verbatim (PAN's setting)

Usage: bench/trace_quality.py [--quick] [--json] [--docs N] [--seed S]
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `bench` is not on the path
    sys.path.insert(0, str(ROOT))

from bench.latin_corpus import generate_latin  # noqa: E402
from dedup.align import DEFAULT_ALIGN, AlignConfig, KeyIndex, align_prepared_many  # noqa: E402
from dedup.provenance import Trace, Witness, trace  # noqa: E402
from dedup.records import NormalizedText  # noqa: E402
from dedup.winnow import DEFAULT_SHARING, DEFAULT_WINNOW, winnow  # noqa: E402
from synthetic.corpus import CorpusDoc, ReusedSpan, generate  # noqa: E402

Normalize = Callable[[str, str], NormalizedText]
MANY_SOURCES = 10
MIN_PASSAGE = 100  # characters: the source passages many_sources_recall counts


@dataclass(frozen=True, slots=True)
class Prepared:
    doc: CorpusDoc
    norm: NormalizedText
    to_text: tuple[int, ...]  # display offset -> text offset (-1: not in text)
    witness: Witness


def default_normalize() -> Normalize:
    """The real normalizer (`dedup.normalize.normalize_text`)."""
    from dedup.normalize import normalize_text

    return normalize_text


def prepare_corpus(
    docs: Sequence[CorpusDoc], normalize: Normalize, noisy: bool = False
) -> list[Prepared]:
    """Normalize each document's clean text (or, `noisy`, the page text a crawl would see)."""
    out = []
    for doc in docs:
        norm = normalize(doc.noisy if noisy else doc.text, doc.doc_id)
        witness = Witness(doc.doc_id, doc.url, doc.site, doc.published, None)
        out.append(Prepared(doc, norm, display_to_text(doc.text, norm.display), witness))
    return out


def display_to_text(text: str, display: str) -> tuple[int, ...]:
    """Where each display character sits in `text` (-1 where the normalizer made it up)."""
    if text == display:
        return tuple(range(len(text)))
    mapping = [-1] * len(display)
    matcher = difflib.SequenceMatcher(None, text, display, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.b + k] = block.a + k
    return tuple(mapping)


def candidates(prepared: Sequence[Prepared]) -> dict[str, list[str]]:
    """Docs sharing enough winnowed fingerprints (workers.stores.passage_index's rule, all of them
    aligned as the ingest does), ignoring over-common ones."""
    postings: dict[int, list[str]] = defaultdict(list)
    prints = {p.doc.doc_id: winnow(p.norm.key, DEFAULT_WINNOW) for p in prepared}
    for doc_id, fps in prints.items():
        for fp in fps:
            postings[fp].append(doc_id)
    found: dict[str, list[str]] = {}
    for doc_id, fps in prints.items():
        shared: dict[str, int] = defaultdict(int)
        for fp in fps:
            ids = postings[fp]
            if len(ids) <= DEFAULT_SHARING.max_docs:
                for other in ids:
                    shared[other] += 1
        found[doc_id] = [o for o, n in shared.items() if n >= DEFAULT_SHARING.min_shared and o != doc_id]
    return found


def trace_all(
    prepared: Sequence[Prepared], config: AlignConfig = DEFAULT_ALIGN, only: set[str] | None = None
) -> dict[str, Trace]:
    """Every document's trace (or those in `only`), every other document a witness."""
    by_id = {p.doc.doc_id: p for p in prepared}
    indexes = {doc_id: KeyIndex(p.norm, config.seed) for doc_id, p in by_id.items()}
    traces = {}
    for doc_id, others in candidates(prepared).items():
        if only is not None and doc_id not in only:
            continue
        found = align_prepared_many(indexes[doc_id], [indexes[o] for o in others], config)
        evidence = [(by_id[o].witness, al) for o, als in zip(others, found, strict=True) for al in als]
        traces[doc_id] = trace(by_id[doc_id].witness, len(by_id[doc_id].norm.display), evidence)
    return traces


def score(prepared: Sequence[Prepared], traces: dict[str, Trace]) -> dict[str, float]:
    hit = predicted = truth = right_source = 0
    for p in prepared:
        gold = _gold(p.doc)
        guess = _guess(p, traces[p.doc.doc_id])
        both = gold.keys() & guess.keys()
        hit += len(both)
        predicted += len(guess)
        truth += len(gold)
        right_source += sum(1 for k in both if gold[k] == guess[k])
    return {
        "trace_char_precision": round(hit / predicted, 4) if predicted else 1.0,
        "trace_char_recall": round(hit / truth, 4) if truth else 1.0,
        "source_accuracy": round(right_source / hit, 4) if hit else 1.0,
    }


def pan_scores(prepared: Sequence[Prepared], traces: dict[str, Trace], prefix: str) -> dict[str, float]:
    """PAN's macro precision, recall, granularity and plagdet over cases and detections."""
    precisions: list[float] = []
    recalls: list[float] = []
    detected_by: list[int] = []
    for p in prepared:
        cases = [(_chars(p.doc.text, range(s.start, s.end)), s.source_id) for s in p.doc.spans]
        found = [(_detected(p, s.start, s.end), s.source.witness.doc_id) for s in traces[p.doc.doc_id].spans]
        for chars, source in found:
            hit = set().union(*(chars & c for c, s in cases if s == source))
            precisions.append(len(hit) / len(chars) if chars else 1.0)
        for chars, source in cases:
            hits = [chars & d for d, s in found if s == source and chars & d]
            recalls.append(len(set().union(*hits)) / len(chars) if chars else 1.0)
            if hits:
                detected_by.append(len(hits))
    precision = sum(precisions) / len(precisions) if precisions else 1.0
    recall = sum(recalls) / len(recalls) if recalls else 1.0
    granularity = sum(detected_by) / len(detected_by) if detected_by else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        f"{prefix}_plagdet": round(f1 / math.log2(1 + granularity), 4),
        f"{prefix}_pan_precision": round(precision, 4),
        f"{prefix}_pan_recall": round(recall, 4),
        f"{prefix}_granularity": round(granularity, 4),
        f"{prefix}_cases": len(recalls),
    }


def _chars(text: str, positions: range) -> set[int]:
    return {k for k in positions if not text[k].isspace()}


def _detected(p: Prepared, start: int, end: int) -> set[int]:
    """Text offsets (non-space) of display [start, end)."""
    mapped = (p.to_text[k] for k in range(start, end))
    return {at for at in mapped if at >= 0 and not p.doc.text[at].isspace()}


def _gold(doc: CorpusDoc) -> dict[int, str]:
    return {
        k: span.source_id
        for span in doc.spans
        for k in range(span.start, span.end)
        if not doc.text[k].isspace()
    }


def _guess(p: Prepared, result: Trace) -> dict[int, str]:
    out = {}
    for span in result.spans:
        for k in range(span.start, span.end):
            at = p.to_text[k]
            if at >= 0 and not p.doc.text[at].isspace():
                out[at] = span.source.witness.doc_id
    return out


def many_sources(corpus: Sequence[CorpusDoc], n_docs: int, seed: int) -> list[CorpusDoc]:
    """Documents reusing one paragraph (>= MIN_PASSAGE chars) of each of MANY_SOURCES templates
    of `corpus`, between paragraphs of their own, published after everything in `corpus`."""
    rng = random.Random(seed)
    sources = [(d, [p for p in d.text.split("\n") if len(p) >= MIN_PASSAGE]) for d in corpus]
    sources = [(d, ps) for d, ps in sources if d.role == "template" and ps]
    own = [p for d in generate(n_docs * 3, seed + 1) if d.role == "unrelated" for p in d.text.split("\n")]
    after = max(d.published for d in corpus) + timedelta(1)
    return [
        _compound(k, rng.sample(sources, MANY_SOURCES), own[k * MANY_SOURCES :], after + timedelta(k), rng)
        for k in range(n_docs)
    ]


def _compound(
    k: int, picked: list[tuple[CorpusDoc, list[str]]], own: list[str], published: date, rng: random.Random
) -> CorpusDoc:
    parts: list[str] = []
    spans: list[ReusedSpan] = []
    at = 0
    for (source, paragraphs), mine in zip(picked, own, strict=False):
        passage = rng.choice(paragraphs)
        where = source.text.index(passage)
        start = at + len(mine) + 1
        spans.append(ReusedSpan(start, start + len(passage), source.doc_id, where, where + len(passage)))
        parts += [mine, passage]
        at = start + len(passage) + 1
    text = "\n".join(parts)
    doc_id = f"many{k:04d}"
    url = f"https://mix.example.com/{doc_id}.html"
    return CorpusDoc(doc_id, url, "mix.example.com", "news", doc_id, published, text, text, None,
                     tuple(spans), "mixed")  # fmt: skip


def many_sources_scores(prepared: Sequence[Prepared], traces: dict[str, Trace]) -> dict[str, float]:
    """Share of the source passages (>= MIN_PASSAGE chars) at least half traced to their source."""
    found = total = 0
    for p in prepared:
        guess = _guess(p, traces[p.doc.doc_id])
        for span in p.doc.spans:
            chars = _chars(p.doc.text, range(span.start, span.end))
            if span.end - span.start >= MIN_PASSAGE:
                total += 1
                found += 2 * sum(1 for k in chars if guess.get(k) == span.source_id) >= len(chars)
    return {"many_sources_recall": round(found / total, 4) if total else 1.0, "many_sources_passages": total}


def trace_quality(
    n_docs: int = 300,
    seed: int = 7,
    normalize: Normalize | None = None,
    noisy_docs: int = 0,
    many_docs: int = 0,
    latin: bool = False,
) -> dict[str, float]:
    """Trace a generated corpus and score it against the ground truth; with `noisy_docs`, also
    the first that many documents as crawled pages (`trace_noisy_*`: chrome, page chunks,
    traditional characters and pinyin garbles through the real normalizer); with `many_docs`,
    that many documents reusing 10 sources each (`many_sources_*`); with `latin`, the
    Latin-script corpus (`latin_*`)."""
    started = time.perf_counter()
    normalize = normalize or default_normalize()
    docs = generate(n_docs, seed)
    prepared = prepare_corpus(docs, normalize)
    traces = trace_all(prepared)
    result = score(prepared, traces)
    result.update(pan_scores(prepared, traces, "trace"))
    changed = sum(1 for p in prepared if p.norm.display != p.doc.text)
    result["trace_docs"] = n_docs
    result["trace_display_changed_share"] = round(changed / n_docs, 4)
    if noisy_docs:
        pages = prepare_corpus(generate(noisy_docs, seed), normalize, noisy=True)
        noisy = score(pages, trace_all(pages))
        result.update({k.replace("trace_", "trace_noisy_", 1) if k.startswith("trace_") else
                       f"noisy_{k}": v for k, v in noisy.items()})  # fmt: skip
        result["trace_noisy_docs"] = noisy_docs
    if many_docs:
        result.update(_many_sources_case(docs, many_docs, seed, normalize))
    if latin:
        result.update(_latin_case(normalize))
    result["trace_seconds"] = round(time.perf_counter() - started, 2)
    return result


def _many_sources_case(
    docs: list[CorpusDoc], n_docs: int, seed: int, normalize: Normalize
) -> dict[str, float]:
    compound = many_sources(docs, n_docs, seed)
    prepared = prepare_corpus([*docs, *compound], normalize)
    traces = trace_all(prepared, only={d.doc_id for d in compound})
    mine = prepared[len(docs) :]
    result = {f"many_sources_{k.removeprefix('trace_')}": v for k, v in score(mine, traces).items()}
    result.update(many_sources_scores(mine, traces))
    result.update(pan_scores(mine, traces, "many_sources"))
    return result


def _latin_case(normalize: Normalize) -> dict[str, float]:
    prepared = prepare_corpus(generate_latin(), normalize)
    traces = trace_all(prepared)
    result = {f"latin_{k.removeprefix('trace_')}": v for k, v in score(prepared, traces).items()}
    result.update(pan_scores(prepared, traces, "latin"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus (seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--docs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--many", type=int, default=None, help="documents reusing 10 sources each")
    args = parser.parse_args()
    n_docs = args.docs or (200 if args.quick else 1000)
    many = args.many if args.many is not None else (10 if args.quick else 40)
    result = trace_quality(n_docs, args.seed, noisy_docs=n_docs // 2, many_docs=many, latin=True)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:32} {value}")


if __name__ == "__main__":
    main()
