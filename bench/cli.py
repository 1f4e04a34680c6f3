"""What every bench script shares: `--quick`/`--json` arguments and how figures are printed."""

from __future__ import annotations

import argparse
import json
from typing import Any


def parser(doc: str | None, quick_help: str) -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--quick", action="store_true", help=quick_help)
    made.add_argument("--json", action="store_true", help="print one JSON object only")
    return made


def report(figures: dict[str, Any], as_json: bool) -> None:
    """One JSON object on stdout, or one aligned line per figure."""
    if as_json:
        print(json.dumps(figures))
        return
    width = max(map(len, figures), default=0)
    for name, value in figures.items():
        print(f"{name:>{width}}: {value}")
