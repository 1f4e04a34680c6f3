"""Pairs the pair rule links once a document left (dedup.pair_rule): aligned there and then.

When a document leaves, a neighbour that had it among its earliest gets the next one in its
place; that pair may never have been aligned (neither was among the other's earliest when the
later came). Aligning it now keeps the pairs provenance uses those of the documents present,
as a fresh ingest of them would have them. The work is one pair per such neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence

from dedup.align import DEFAULT_ALIGN, AlignConfig, KeyIndex, align_prepared_many, prepare
from workers.store import Store


def align_pairs(store: Store, pairs: Sequence[tuple[str, str]], config: AlignConfig = DEFAULT_ALIGN) -> int:
    """Align the pairs not aligned yet (the smaller id on side a, as the ingest does) and save
    them while both sides hold the texts they were aligned as; returns how many were aligned."""
    ordered = sorted({(min(p), max(p)) for p in pairs if p[0] != p[1]})
    stored = store.aligned_pairs(ordered)
    wanted = [pair for pair in ordered if pair not in stored]
    norms = store.norms(sorted({doc_id for pair in wanted for doc_id in pair}))
    prepared: dict[str, KeyIndex] = {}
    done = 0
    for a, b in wanted:
        if a in norms and b in norms:
            one = prepared.setdefault(a, prepare(norms[a][1], config))
            two = prepared.setdefault(b, prepare(norms[b][1], config))
            (found,) = align_prepared_many(one, [two], config)
            store.save_alignments(a, {b: found}, {b: norms[b][0]})
            done += 1
    return done
