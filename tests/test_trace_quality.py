"""Quality floors of passage tracing on the generated corpus (real normalizer, ground truth)."""

from __future__ import annotations

from bench.trace_quality import trace_quality


def test_trace_meets_the_precision_recall_and_source_floors() -> None:
    figures = trace_quality(n_docs=150, seed=13)
    assert figures["trace_char_precision"] >= 0.95, figures
    assert figures["trace_char_recall"] >= 0.90, figures
    assert figures["source_accuracy"] >= 0.95, figures
