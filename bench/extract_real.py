"""Character precision/recall/F1 of our extraction on real pages with hand-made main text, next to
trafilatura on the raw bytes and on the page as we decode it, all in one run.

The dataset is read where it lies (never copied): `original/ID.html` (raw bytes),
`cleaned/ID.txt` (the main text). Scoring, as the dataset's README gives it: both texts
NFKC-normalised, traditional → simplified (OpenCC t2s), all whitespace removed; precision and
recall over character multisets; F1 per page, then means over pages. `--half even|odd` scores
only the even- or odd-indexed pages of the sorted ids (develop on one, check on the other).

    python bench/extract_real.py DATASET [--half even|odd] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import opencc
import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.decode import decode  # noqa: E402 - after the path setup for running from a checkout
from dedup.errors import Rejected  # noqa: E402
from dedup.extract import extract  # noqa: E402
from dedup.normalize import normalize  # noqa: E402
from dedup.records import Page  # noqa: E402

_T2S = opencc.OpenCC("t2s")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Score:
    """Character-multiset precision, recall and F1 of one text against its truth."""

    p: float
    r: float

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0


def scoring_form(text: str) -> str:
    """The dataset's scoring form: NFKC, simplified, no whitespace."""
    return _SPACE.sub("", _T2S.convert(unicodedata.normalize("NFKC", text)))


def score(got: str, truth: str) -> Score:
    """Precision and recall of `got` on character multisets against `truth`."""
    a, b = Counter(scoring_form(got)), Counter(scoring_form(truth))
    common = sum((a & b).values())
    total_a, total_b = sum(a.values()), sum(b.values())
    return Score(common / total_a if total_a else 0.0, common / total_b if total_b else 0.0)


def ours(path: Path) -> str:
    """The path `dedupcrawl extract PATH` takes: decode, extract, normalize; the display text."""
    page = Page(capture_id=path.name, url=path.resolve().as_uri(), body=path.read_bytes())
    try:
        return normalize(extract(page)).display
    except Rejected:
        return ""


def trafilatura_raw(path: Path) -> str:
    return trafilatura.extract(path.read_bytes()) or ""


def trafilatura_decoded(path: Path) -> str:
    return trafilatura.extract(decode(path.read_bytes(), None).text) or ""


SYSTEMS: dict[str, Callable[[Path], str]] = {
    "ours": ours,
    "trafilatura": trafilatura_raw,
    "trafilatura_decoded": trafilatura_decoded,
}


def page_ids(dataset: Path, half: str | None) -> list[str]:
    ids = sorted(p.stem for p in (dataset / "original").glob("*.html"))
    if half is None:
        return ids
    return ids[0::2] if half == "even" else ids[1::2]


def page_row(dataset: Path, page_id: str) -> dict[str, object]:
    truth = (dataset / "cleaned" / f"{page_id}.txt").read_text(encoding="utf-8")
    row: dict[str, object] = {"id": page_id}
    for name, system in SYSTEMS.items():
        result = score(system(dataset / "original" / f"{page_id}.html"), truth)
        row.update({f"{name}_p": round(result.p, 4), f"{name}_r": round(result.r, 4),
                    f"{name}_f1": round(result.f1, 4)})  # fmt: skip
    return row


def measure(dataset: Path, half: str | None) -> dict[str, object]:
    rows = [page_row(dataset, page_id) for page_id in page_ids(dataset, half)]
    if not rows:
        raise SystemExit(f"error: {dataset}: no original/*.html pages")

    def mean(key: str) -> float:
        return round(statistics.fmean(float(str(row[key])) for row in rows), 4)

    return {
        "ours_p": mean("ours_p"), "ours_r": mean("ours_r"), "ours_f1": mean("ours_f1"),
        "trafilatura_f1": mean("trafilatura_f1"),
        "trafilatura_decoded_f1": mean("trafilatura_decoded_f1"),
        "pages_below_0_5": sum(1 for row in rows if float(str(row["ours_f1"])) < 0.5),
        "pages": rows,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="the zh-extraction folder (original/, cleaned/)")
    parser.add_argument("--half", choices=("even", "odd"), help="only the even/odd sorted ids")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (args.dataset / "original").is_dir():
        raise SystemExit(f"error: {args.dataset}: no original/ folder")
    result = measure(args.dataset, args.half)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for row in result["pages"]:  # type: ignore[attr-defined]
        print(f"{row['id'][:8]}  ours P {row['ours_p']:.3f} R {row['ours_r']:.3f} "
              f"F1 {row['ours_f1']:.3f}  traf {row['trafilatura_f1']:.3f} "
              f"traf_dec {row['trafilatura_decoded_f1']:.3f}")  # fmt: skip
    print(f"ours: P {result['ours_p']} R {result['ours_r']} F1 {result['ours_f1']}; "
          f"trafilatura F1 {result['trafilatura_f1']} (decoded {result['trafilatura_decoded_f1']}); "
          f"pages below 0.5: {result['pages_below_0_5']}")  # fmt: skip


if __name__ == "__main__":
    main()
