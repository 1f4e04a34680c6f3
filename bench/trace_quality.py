"""Passage-trace quality on the generator corpus: character precision/recall and source accuracy.

The whole pipeline of the trace stage runs offline on `CorpusDoc.text`: normalize, winnowed
passage fingerprints in an in-memory index (the same scheme `workers.passage_index` keeps in
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

Usage: bench/trace_quality.py [--quick] [--json] [--docs N] [--seed S]
"""

from __future__ import annotations

import argparse
import difflib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dedup.align import DEFAULT_ALIGN, AlignConfig, KeyIndex, align_prepared_many
from dedup.corpus import CorpusDoc, generate
from dedup.provenance import Trace, Witness, trace
from dedup.records import NormalizedText
from dedup.winnow import DEFAULT_WINNOW, winnow

Normalize = Callable[[str, str], NormalizedText]
MIN_SHARED = 2
MAX_DOCS_PER_FINGERPRINT = 50


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
    """Docs sharing at least MIN_SHARED winnowed fingerprints, ignoring over-common ones."""
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
            if len(ids) <= MAX_DOCS_PER_FINGERPRINT:
                for other in ids:
                    shared[other] += 1
        found[doc_id] = [o for o, n in shared.items() if n >= MIN_SHARED and o != doc_id]
    return found


def trace_all(
    prepared: Sequence[Prepared], config: AlignConfig = DEFAULT_ALIGN
) -> dict[str, Trace]:
    by_id = {p.doc.doc_id: p for p in prepared}
    indexes = {doc_id: KeyIndex(p.norm, config.seed) for doc_id, p in by_id.items()}
    traces = {}
    for doc_id, others in candidates(prepared).items():
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


def trace_quality(
    n_docs: int = 300, seed: int = 7, normalize: Normalize | None = None, noisy_docs: int = 0
) -> dict[str, float]:
    """Trace a generated corpus and score it against the ground truth; with `noisy_docs`, also
    the first that many documents as crawled pages (`trace_noisy_*`: chrome, page chunks,
    traditional characters and pinyin garbles through the real normalizer)."""
    started = time.perf_counter()
    normalize = normalize or default_normalize()
    docs = generate(n_docs, seed)
    prepared = prepare_corpus(docs, normalize)
    result = score(prepared, trace_all(prepared))
    changed = sum(1 for p in prepared if p.norm.display != p.doc.text)
    result["trace_docs"] = n_docs
    result["trace_display_changed_share"] = round(changed / n_docs, 4)
    if noisy_docs:
        pages = prepare_corpus(generate(noisy_docs, seed), normalize, noisy=True)
        noisy = score(pages, trace_all(pages))
        result.update({k.replace("trace_", "trace_noisy_", 1) if k.startswith("trace_") else
                       f"noisy_{k}": v for k, v in noisy.items()})  # fmt: skip
        result["trace_noisy_docs"] = noisy_docs
    result["trace_seconds"] = round(time.perf_counter() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus (seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--docs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n_docs = args.docs or (200 if args.quick else 1000)
    result = trace_quality(n_docs, args.seed, noisy_docs=n_docs // 2)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:32} {value}")


if __name__ == "__main__":
    main()
