"""Quality floors of passage tracing on the generated corpus (real normalizer, ground truth)."""

from __future__ import annotations

from bench.trace_quality import trace_quality


def test_trace_meets_the_precision_recall_and_source_floors() -> None:
    figures = trace_quality(n_docs=150, seed=13)
    assert figures["trace_char_precision"] >= 0.95, figures
    assert figures["trace_char_recall"] >= 0.90, figures
    assert figures["source_accuracy"] >= 0.95, figures


def test_latin_script_passages_are_found_whole_and_alone() -> None:
    # issue 17 item 8: verbatim copies in English text, PAN's case measures
    figures = trace_quality(n_docs=20, seed=13, latin=True)
    assert figures["latin_pan_recall"] >= 0.95, figures
    assert figures["latin_pan_precision"] >= 0.9, figures
    assert figures["latin_granularity"] <= 1.2, figures


def test_documents_reusing_ten_sources_are_traced_to_each() -> None:
    figures = trace_quality(n_docs=150, seed=13, many_docs=8)
    assert figures["many_sources_passages"] == 80
    assert figures["many_sources_recall"] >= 0.98, figures
