"""MinHash speed and accuracy: ours (vectorized NumPy) vs datasketch (loop, batch) and rensa.

One corpus of ≈3.7k-character speeches from synthetic.corpus; every contender starts from the same
match key string and does its own shingling, so docs/s covers shingles + signature. Accuracy:
mean absolute error of each estimate against the exact 5-gram Jaccard on 200 pairs (half
family pairs, so the whole range of similarity is covered). Single core (numpy uses one).

    python bench/minhash.py [--quick] [--json]
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import rensa  # noqa: E402
from datasketch import MinHash  # noqa: E402

from bench.cli import parser, report  # noqa: E402
from dedup.fingerprint import FingerprintConfig, fingerprint  # noqa: E402
from dedup.minhash import jaccard_estimate  # noqa: E402
from dedup.shingles import shingle_hashes, shingle_set  # noqa: E402
from synthetic.corpus import CorpusConfig, generate  # noqa: E402

PERMS, SEED, N = 128, 1, 5
_DROP = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")


def key_of(text: str) -> str:
    return re.sub(r"[0-9]", "0", _DROP.sub("", text))


def speeches(count: int) -> tuple[list[str], list[str | None]]:
    docs = generate(count, seed=3, config=CorpusConfig(paragraphs=(38, 48)))
    return [key_of(d.text) for d in docs], [d.family for d in docs]


def ours(key: str) -> Any:
    return fingerprint("d", key, "bench", FingerprintConfig(num_perm=PERMS, seed=SEED)).values()


def datasketch_loop(key: str) -> Any:
    m = MinHash(num_perm=PERMS, seed=SEED)
    for s in shingle_set(key, N):
        m.update(s.encode("utf-8"))
    return m


def datasketch_batch(key: str) -> Any:
    m = MinHash(num_perm=PERMS, seed=SEED)
    m.update_batch([s.encode("utf-8") for s in shingle_set(key, N)])
    return m


def rensa_doc(key: str) -> Any:
    m = rensa.RMinHash(PERMS, SEED)
    m.update(list(shingle_set(key, N)))
    return m


def rate(fn: Callable[[str], Any], keys: list[str]) -> float:
    start = time.perf_counter()
    for key in keys:
        fn(key)
    return len(keys) / (time.perf_counter() - start)


def rensa_from_hashes(keys: list[str]) -> float:
    """rensa's batch entry fed our NumPy shingle hashes (hashing included)."""
    start = time.perf_counter()
    rows = [shingle_hashes(k, N).astype(np.uint64) for k in keys]
    offsets = np.cumsum([0] + [len(r) for r in rows]).astype(np.uint64)
    rensa.RMinHash.digest_matrix_from_flat_token_hashes(np.concatenate(rows), offsets, PERMS, SEED)
    return len(keys) / (time.perf_counter() - start)


def pairs(families: list[str | None], count: int) -> list[tuple[int, int]]:
    rng = random.Random(7)
    by_family: dict[str, list[int]] = {}
    for i, fam in enumerate(families):
        if fam is not None:
            by_family.setdefault(fam, []).append(i)
    groups = [g for g in by_family.values() if len(g) > 1]
    out = [tuple(rng.sample(rng.choice(groups), 2)) for _ in range(count // 2)]
    out += [tuple(rng.sample(range(len(families)), 2)) for _ in range(count - len(out))]
    return out  # type: ignore[return-value]


def accuracy(keys: list[str], families: list[str | None]) -> dict[str, float]:
    errors: dict[str, list[float]] = {"ours": [], "datasketch": [], "rensa": []}
    for a, b in pairs(families, 200):
        sa, sb = shingle_set(keys[a], N), shingle_set(keys[b], N)
        exact = len(sa & sb) / len(sa | sb)
        errors["ours"].append(abs(jaccard_estimate(ours(keys[a]), ours(keys[b])) - exact))
        ds = datasketch_batch(keys[a]).jaccard(datasketch_batch(keys[b]))
        errors["datasketch"].append(abs(ds - exact))
        errors["rensa"].append(abs(rensa_doc(keys[a]).jaccard(rensa_doc(keys[b])) - exact))
    return {name: round(float(np.mean(e)), 4) for name, e in errors.items()}


def measure(quick: bool) -> dict[str, Any]:
    keys, families = speeches(400 if quick else 2000)
    ours(keys[0])  # warm the permutation cache
    slow = keys[: 30 if quick else 150]
    figures: dict[str, Any] = {
        "ours_docs_per_s": round(rate(ours, keys), 1),
        "datasketch_loop_docs_per_s": round(rate(datasketch_loop, slow), 1),
        "datasketch_batch_docs_per_s": round(rate(datasketch_batch, keys[: len(slow) * 4]), 1),
        "rensa_docs_per_s": round(rate(rensa_doc, keys), 1),
        "rensa_from_our_hashes_docs_per_s": round(rensa_from_hashes(keys), 1),
    }
    figures["ratio_vs_datasketch_loop"] = round(
        figures["ours_docs_per_s"] / figures["datasketch_loop_docs_per_s"], 1
    )
    figures["ratio_vs_rensa"] = round(figures["ours_docs_per_s"] / figures["rensa_docs_per_s"], 2)
    mae = accuracy(keys, families)
    figures |= {"mae_ours": mae["ours"], "mae_datasketch": mae["datasketch"]}
    figures["mae_rensa"] = mae["rensa"]
    figures["mean_key_chars"] = round(float(np.mean([len(k) for k in keys])))
    return figures


def main() -> None:
    args_parser = parser(__doc__, "fewer documents (under a minute)")
    args = args_parser.parse_args()
    report(measure(args.quick), args.json)


if __name__ == "__main__":
    main()
