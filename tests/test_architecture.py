"""docs/architecture.md's import diagram is the one the code's imports give (bench/import_diagram.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "bench" / "import_diagram.py"
DOC = ROOT / "docs" / "architecture.md"


def _check(doc: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), "--check", "--doc", str(doc)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_committed_diagram_is_the_code_s() -> None:
    done = _check(DOC)
    assert done.returncode == 0, done.stderr


def test_a_diagram_missing_an_import_is_stale(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    arrow = "  crawler --> archive\n"
    assert arrow in text
    stale = tmp_path / "architecture.md"
    stale.write_text(text.replace(arrow, ""), encoding="utf-8")
    done = _check(stale)
    assert done.returncode == 1 and "stale" in done.stderr
