"""Pending pair links (workers.stores.pair_links) aligned: each pending document with its earliest
neighbours that it was never aligned with.

A document becomes pending when a newcomer is among its earliest neighbours but not the other
way round, or when one of its earliest left. Aligning it then and there would cost, for a
speech's copies arriving newest first, every copy against every copy before it, though only
the earliest stay linked; aligned once the queue drains, it costs at most `LinkRule.neighbours`
alignments a document. The ingest job that finds the queue empty settles them, and so does an
export before it reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from dedup.align import AlignConfig, align_prepared_many, prepare
from workers.errors import TextUnavailable
from workers.stores.store import Store

logger = logging.getLogger(__name__)

BATCH = 100


def settle(store: Store, config: AlignConfig) -> int:
    """Align every pending document with its earliest neighbours; returns the pairs aligned.
    A document leaves the pending set once done (a worker killed meanwhile leaves it there)."""
    done = 0
    while taken := store.links.pending(BATCH):
        ids = [doc_id for doc_id, _ in taken]
        nearest = store.links.nearest(ids)
        done += align_pairs(store, [(d, o) for d in ids for o in nearest[d]], config)
        if not store.links.settled(taken):  # all pending again meanwhile: the next drain's
            break
    return done


def align_pairs(store: Store, pairs: Sequence[tuple[str, str]], config: AlignConfig) -> int:
    """Align the pairs not aligned yet (the smaller id on side a, as the ingest does) and save
    them, one round trip per side-a document, while both sides hold the texts they were aligned
    as; returns how many were aligned."""
    ordered = sorted({(min(p), max(p)) for p in pairs if p[0] != p[1]})
    stored = store.aligned_pairs(ordered)
    wanted = [pair for pair in ordered if pair not in stored]
    norms = store.norms(sorted({doc_id for pair in wanted for doc_id in pair}), _left_out)
    sides: dict[str, list[str]] = {}
    for a, b in wanted:
        if a in norms and b in norms:  # both still there
            sides.setdefault(a, []).append(b)
    ids = sorted({*sides, *(b for others in sides.values() for b in others)})
    prepared = {doc_id: prepare(norms[doc_id][1], config) for doc_id in ids}
    touched: set[str] = set()
    for a, others in sides.items():
        found = align_prepared_many(prepared[a], [prepared[b] for b in others], config)
        new = {b: alignments for b, alignments in zip(others, found, strict=True) if alignments}
        saved = store.save_alignments(a, new, {b: norms[b][0] for b in new}, norms[a][0]) if new else None
        if saved is not None:
            touched |= {a, *(b for b in new if b in saved)}
    store.mark_changed(sorted(touched))  # their sources may have changed: an export sees it
    return sum(map(len, sides.values()))


def _left_out(exc: TextUnavailable) -> None:
    """A pair with an unreadable side is not aligned (until the text is readable again)."""
    logger.warning("pair left unaligned: %s", exc)
