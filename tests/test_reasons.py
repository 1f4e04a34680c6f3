"""Rejection reasons are `dedup.reasons.RejectReason` members wherever a rejection is made: the
codes counted in stats and shown by `ops` come from one module, never from string literals."""

from __future__ import annotations

import ast
from pathlib import Path

from dedup.errors import Rejected
from dedup.reasons import RejectReason

ROOT = Path(__file__).resolve().parent.parent
REASON_ARG = {"Rejected": 0, "Rejection": 3}  # where each constructor takes its reason


def _literal_reasons(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REASON_ARG:
            at = REASON_ARG[node.func.id]
            reason = node.args[at] if len(node.args) > at else None
            if isinstance(reason, ast.Constant) and isinstance(reason.value, str):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {reason.value!r}")
    return found


def test_no_rejection_is_made_with_a_literal_reason() -> None:
    packages = ("crawler", "dedup", "workers")
    sources = [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(sources) > 50
    assert [line for path in sources for line in _literal_reasons(path)] == []


def test_a_reason_is_stored_and_counted_as_its_old_string() -> None:
    rejected = Rejected(RejectReason.TOO_SHORT, "3 shingles < 8")
    assert rejected.reason == "too_short" and f"{rejected.reason}" == "too_short"
    assert str(rejected) == "too_short: 3 shingles < 8"
    assert len({r.value for r in RejectReason}) == len(RejectReason)
