"""Speed of tracing a new 5,000-character document against 20 candidates, next to difflib.

The document is a variant of a generated template family (cut to 5,000 characters) and the
candidates are the template and 19 other variants: the heavy case, where most text aligns.
`ms_per_doc` covers preparing the 21 key indexes, aligning the document with every candidate
and tracing provenance; `difflib_ms_per_doc` runs `difflib.SequenceMatcher(None, doc, cand)
.get_matching_blocks()` over the same 20 pairs of match keys in the same run. `*ms_per_doc` are
medians of wall-clock time, `best_*` the fastest repetition, `cpu_*` medians of this process's
CPU time (what a loaded machine does not inflate).

Usage: bench/trace.py [--quick] [--json] [--repeat N]
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import time
from collections.abc import Callable

from dedup.align import align_many
from dedup.provenance import Witness, trace
from dedup.records import NormalizedText
from synthetic.corpus import CorpusConfig, CorpusDoc, generate

DOC_CHARS = 5000
CANDIDATES = 20
FAMILY = CorpusConfig(
    family_share=1.0,
    family_size=(CANDIDATES + 1, CANDIDATES + 1),
    paragraphs=(58, 62),
    mixed_share=0.0,
    hard_share=0.0,
    repost_share=0.05,
)


def normalizer() -> Callable[[str, str], NormalizedText]:
    from dedup.normalize import normalize_text

    return normalize_text


def workload(seed: int = 3) -> tuple[CorpusDoc, list[CorpusDoc]]:
    """A variant of a composed (not seed-page) family, and the rest of its family."""
    docs = generate(4 * (CANDIDATES + 1), seed, FAMILY)
    family = [d for d in docs if d.family == "f00003"]
    family.sort(key=lambda d: (d.role != "variant", -len(d.text), d.doc_id))
    return family[0], family[1:]


def witness(doc: CorpusDoc) -> Witness:
    return Witness(doc.doc_id, doc.url, doc.site, doc.published, None)


def ours(doc: NormalizedText, me: Witness, cands: list[NormalizedText], who: list[Witness]) -> int:
    found = align_many(doc, cands)
    evidence = [(w, al) for w, als in zip(who, found, strict=True) for al in als]
    return len(trace(me, len(doc.display), evidence).spans)


def plain_difflib(doc: NormalizedText, cands: list[NormalizedText]) -> int:
    return sum(
        len(difflib.SequenceMatcher(None, doc.key, c.key).get_matching_blocks()) for c in cands
    )


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median and best wall-clock ms, and median CPU ms of this process (load-independent)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def measure(repeat: int, difflib_repeat: int) -> dict[str, float | int]:
    normalize = normalizer()
    new, family = workload()
    doc = normalize(new.text[:DOC_CHARS], new.doc_id)
    cands = [normalize(c.text, c.doc_id) for c in family]
    who = [witness(c) for c in family]
    spans = ours(doc, witness(new), cands, who)
    ms, best, cpu = timed(lambda: ours(doc, witness(new), cands, who), repeat)
    base, base_best, base_cpu = timed(lambda: plain_difflib(doc, cands), difflib_repeat)
    return {
        "doc_chars": len(doc.display),
        "candidates": len(cands),
        "candidate_chars_mean": round(sum(len(c.display) for c in cands) / len(cands)),
        "traced_spans": spans,
        "ms_per_doc": round(ms, 2),
        "difflib_ms_per_doc": round(base, 2),
        "speedup_vs_difflib": round(base / ms, 1),
        "best_ms_per_doc": round(best, 2),
        "difflib_best_ms_per_doc": round(base_best, 2),
        "cpu_ms_per_doc": round(cpu, 2),
        "difflib_cpu_ms_per_doc": round(base_cpu, 2),
        "repeat": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    repeat = args.repeat or (15 if args.quick else 60)
    result = measure(repeat, 3 if args.quick else 7)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:24} {value}")


if __name__ == "__main__":
    main()
