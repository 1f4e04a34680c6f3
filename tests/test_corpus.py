"""The evaluation corpus: deterministic, ground truth consistent with the text it describes."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic.corpus import CorpusDoc, generate

_NOT_KEY = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")


def shingles(text: str, n: int = 5) -> set[str]:
    key = re.sub(r"[0-9]", "0", _NOT_KEY.sub("", text))
    return {key[i : i + n] for i in range(len(key) - n + 1)}


def jaccard_containment(a: set[str], b: set[str]) -> tuple[float, float]:
    inter = len(a & b)
    return inter / len(a | b), inter / min(len(a), len(b))


@pytest.fixture(scope="module")
def corpus() -> list[CorpusDoc]:
    return generate(300, seed=7)


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    assert generate(60, seed=3) == generate(60, seed=3)
    assert [d.text for d in generate(60, seed=3)] != [d.text for d in generate(60, seed=4)]


def test_sizes_ids_and_kinds(corpus: list[CorpusDoc]) -> None:
    assert len(corpus) == 300
    assert len({d.doc_id for d in corpus}) == 300
    assert {d.site_kind for d in corpus} == {"docshare", "news", "gov"}
    assert {d.role for d in corpus} >= {
        "template",
        "variant",
        "repost",
        "hard",
        "mixed",
        "unrelated",
    }
    assert all(d.url.startswith(f"https://{d.site}/") for d in corpus)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(min_value=1, max_value=80), seed=st.integers(min_value=0, max_value=10**6))
def test_spans_map_equal_text_and_point_to_earlier_sources(n: int, seed: int) -> None:
    docs = generate(n, seed=seed)
    by_id = {d.doc_id: d for d in docs}
    assert len(docs) == n
    for doc in docs:
        for span in doc.spans:
            source = by_id[span.source_id]
            assert (
                doc.text[span.start : span.end] == source.text[span.source_start : span.source_end]
            )
            assert source.published < doc.published
            assert source.role == "template"


def test_families_have_one_earliest_template(corpus: list[CorpusDoc]) -> None:
    families: dict[str, list[CorpusDoc]] = defaultdict(list)
    for doc in corpus:
        if doc.family is not None:
            families[doc.family].append(doc)
    assert len(families) >= 5
    for members in families.values():
        templates = [d for d in members if d.role == "template"]
        assert len(templates) == 1
        assert all(d.published > templates[0].published for d in members if d is not templates[0])
        assert all(s.source_id == templates[0].doc_id for d in members for s in d.spans)


def test_unrelated_and_mixed_have_no_family(corpus: list[CorpusDoc]) -> None:
    for doc in corpus:
        assert (doc.family is None) == (doc.role in ("unrelated", "mixed"))
    assert all(not d.spans for d in corpus if d.role in ("unrelated", "template"))
    mixed = [d for d in corpus if d.role == "mixed"]
    assert mixed and all(len({s.source_id for s in d.spans}) >= 2 for d in mixed)


def test_variants_pass_the_edge_rule_and_unrelated_speeches_do_not(corpus: list[CorpusDoc]) -> None:
    templates = {d.family: shingles(d.text) for d in corpus if d.role == "template"}
    variants = [d for d in corpus if d.role in ("variant", "repost")]
    passing = sum(
        max(jaccard_containment(shingles(d.text), templates[d.family])) >= 0.5 for d in variants
    )
    assert passing / len(variants) >= 0.97
    hard = [
        max(jaccard_containment(shingles(d.text), templates[d.family]))
        for d in corpus
        if d.role == "hard"
    ]
    assert hard and min(hard) < 0.75  # near the border, not trivially similar
    unrelated = [shingles(d.text) for d in corpus if d.role == "unrelated"][:40]
    worst = max(max(jaccard_containment(a, b)) for a, b in itertools.combinations(unrelated, 2))
    assert worst < 0.1


def test_noisy_text_shows_page_noise(corpus: list[CorpusDoc]) -> None:
    noisy = "\n".join(d.noisy for d in corpus)
    for marker in ("上传人", "第 ", "当前位置", "ICP", "(huì)", "<h3>", ",，"):
        assert marker in noisy
    assert all(d.noisy != d.text for d in corpus)


def test_rejects_nonpositive_size() -> None:
    with pytest.raises(ValueError):
        generate(0)
