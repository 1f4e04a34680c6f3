"""The speed work on alignment gives the same answers: every pair's spans, frozen.

The digest below was computed by the alignment code before the speed work (commit d5efa81,
`align-3-slots`) over a fixed generated corpus: `synthetic.corpus.generate(80, 7)`'s noisy texts
through `tests.plain_norm` (not the real normalizer, so normalization changes cannot move it),
each document aligned with every earlier one by `align_many` (one batch per document), and
with the first document by `align` (one pair at a time). A change of any span, similarity or the order of the
alignments of a pair changes the digest.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from dedup.align import (
    align,
    align_many,
    align_prepared,
    align_prepared_against,
    block_columns_against,
    block_columns_many,
    prepare,
)
from dedup.records import NormalizedText
from synthetic.corpus import generate
from tests.plain_norm import plain_norm

FROZEN_DIGEST = "b49506383daa4774734474cf53450a62e441478c8384af4f1134c4a51efc6285"
FROZEN_ALIGNMENTS = 2736


@lru_cache(maxsize=1)
def _norms() -> tuple[NormalizedText, ...]:
    return tuple(plain_norm(doc.noisy, doc.doc_id) for doc in generate(80, 7))


def _lines() -> list[str]:
    """One line per alignment: the pair, then its spans and similarity."""
    norms = _norms()
    lines = []
    for i, doc in enumerate(norms):
        for j, found in enumerate(align_many(doc, norms[:i])):
            lines += [f"{i} {j} {a.a_start} {a.a_end} {a.b_start} {a.b_end} {a.similarity}" for a in found]
        if i:
            lines += [f"{i} 0 pair {a}" for a in align(doc, norms[0])]
    return lines


def test_every_pairs_spans_are_those_of_the_code_before_the_speed_work() -> None:
    lines = _lines()
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert (digest, len(lines)) == (FROZEN_DIGEST, FROZEN_ALIGNMENTS)


def test_many_texts_on_side_a_align_as_each_pair_does() -> None:
    """`align_prepared_against` (candidates on side a, rows of different widths, one seeding
    pass) gives each pair's exact blocks and alignments exactly as one pair at a time does,
    empty texts included."""
    tables = [prepare(norm) for norm in _norms()] + [prepare(plain_norm("", "empty"))]
    tables.insert(3, prepare(plain_norm("", "empty-inside")))
    english = "we must carry forward the spirit of the meeting and work hard for the people of the city "
    mixed = english * 2 + "同志们" * 9
    tables[5:5] = [prepare(plain_norm(english * 3, "en-a")), prepare(plain_norm(mixed, "en-b"))]
    assert tables[5].starts is not None  # English is aligned on words
    found = 0
    for at in [*range(1, len(tables), 7), 6]:
        blocks = block_columns_against(tables[:at], tables[at])
        assert blocks == [block_columns_many(a, [tables[at]])[0] for a in tables[:at]]
        batch = align_prepared_against(tables[:at], tables[at])
        assert batch == [align_prepared(a, tables[at]) for a in tables[:at]]
        found += sum(map(len, batch))
    assert found > 100
