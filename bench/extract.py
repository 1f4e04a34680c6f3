"""Speed of decode + extract + normalize per page, next to `trafilatura.extract` alone.

Both run in the same process over the same fixture pages, alternating page by page so that
CPU contention hits both alike; each figure is the median over rounds of the time per page.
The figure that counts is the ratio (goal: ≤ 1.5).

    python bench/extract.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.extract import extract  # noqa: E402 - after the path setup for running from a checkout
from dedup.normalize import normalize  # noqa: E402
from dedup.records import Page  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"


def load_pages() -> list[Page]:
    entries = json.loads((PAGES / "pages.json").read_text(encoding="utf-8"))
    return [
        Page(
            capture_id=entry["file"],
            url=entry["url"],
            body=(PAGES / entry["file"]).read_bytes(),
            headers=(("Content-Type", entry["content_type"]),),
        )
        for entry in entries
    ]


def ours(page: Page) -> object:
    return normalize(extract(page))


def baseline(page: Page) -> object:
    return trafilatura.extract(page.body, url=page.url)


def timed(run: Callable[[Page], object], page: Page) -> float:
    start = time.perf_counter()
    run(page)
    return time.perf_counter() - start


def measure(pages: list[Page], rounds: int) -> dict[str, float | int]:
    for page in pages:  # warm-up: lazy tables, OpenCC, trafilatura's first-call setup
        ours(page), baseline(page)
    our_rounds: list[float] = []
    base_rounds: list[float] = []
    for _ in range(rounds):
        pairs = [(timed(ours, page), timed(baseline, page)) for page in pages]
        our_rounds.append(sum(ours_s for ours_s, _ in pairs))
        base_rounds.append(sum(base_s for _, base_s in pairs))
    ours_ms = statistics.median(our_rounds) * 1000 / len(pages)
    base_ms = statistics.median(base_rounds) * 1000 / len(pages)
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ours_ms_per_page": round(ours_ms, 3),
        "trafilatura_ms_per_page": round(base_ms, 3),
        "ratio": round(ours_ms / base_ms, 3),
        "goal_ratio": 1.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (well under a minute)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(load_pages(), rounds=10 if args.quick else 60)
    if args.json:
        print(json.dumps(result))
        return
    print(f"pages: {result['pages']} x {result['rounds']} rounds (median of rounds)")
    print(f"decode+extract+normalize: {result['ours_ms_per_page']:.2f} ms/page")
    print(f"trafilatura.extract alone: {result['trafilatura_ms_per_page']:.2f} ms/page")
    print(f"ratio: {result['ratio']:.2f} (goal <= {result['goal_ratio']})")


if __name__ == "__main__":
    main()
