"""Banding, the in-memory index and union-find."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint
from dedup.lsh import LSHParams, MemoryLSHIndex, band_hashes
from dedup.union_find import UnionFind
from tests.engine_corpus import FP_ID, corpus


def test_band_hashes_depend_on_their_rows_only() -> None:
    values = np.arange(128, dtype=np.uint32)
    changed = values.copy()
    changed[4] += 1  # row 1 of band 1 (42 bands x 3 rows)
    a, b = band_hashes(values, LSHParams()), band_hashes(changed, LSHParams())
    assert len(a) == 42 and a[0] == b[0] and a[1] != b[1] and np.array_equal(a[2:], b[2:])
    assert len(set(band_hashes(np.zeros(128, np.uint32), LSHParams()).tolist())) == 42


def test_bands_must_fit_the_signature() -> None:
    with pytest.raises(ConfigError):
        LSHParams(40, 4).check(128)


def test_add_inserts_then_queries_and_is_idempotent() -> None:
    docs = corpus()
    index = MemoryLSHIndex(FP_ID)
    first = [index.add(fp) for _, fp in docs]
    assert len(index) == len(docs)
    again = [index.add(fp) for _, fp in docs]
    assert len(index) == len(docs)
    for (doc, _), before, after in zip(docs, first, again, strict=True):
        assert {c.doc_id for c in before} <= {c.doc_id for c in after}
        assert doc.doc_id not in {c.doc_id for c in after}
    # every pair seen by the later document is seen by the earlier one on re-add: symmetric
    seen = {(d.doc_id, c.doc_id) for (d, _), cs in zip(docs, again, strict=True) for c in cs}
    assert all((b, a) in seen for a, b in seen)


def test_reposts_always_collide_and_families_mostly_do() -> None:
    docs = corpus()
    index = MemoryLSHIndex(FP_ID)
    found = {d.doc_id: {c.doc_id for c in index.add(fp)} for d, fp in docs}
    found = {d.doc_id: {c.doc_id for c in index.add(fp)} for d, fp in docs}
    templates = {d.family: d.doc_id for d, _ in docs if d.role == "template"}
    reposts = [d for d, _ in docs if d.role == "repost"]
    assert reposts and all(templates[d.family] in found[d.doc_id] for d in reposts)
    unrelated = [d.doc_id for d, _ in docs if d.role == "unrelated"]
    assert sum(len(found[u]) for u in unrelated) <= len(unrelated) // 10


def test_remove_forgets_a_document() -> None:
    (_, a), (_, b) = corpus()[:2]
    twin = Fingerprint("twin", a.fingerprint_id, a.signature, a.shingle_count, a.key_hash)
    index = MemoryLSHIndex(FP_ID)
    index.add(a)
    index.add(b)
    assert [c.doc_id for c in index.add(twin)] == [a.doc_id]
    assert index.remove(a.doc_id) and not index.remove(a.doc_id)
    assert index.add(twin) == []
    assert len(index) == 2


def test_other_fingerprint_ids_are_refused() -> None:
    fp = fingerprint("d", "同志们今天我们召开全市工作会议", "n9", FingerprintConfig())
    with pytest.raises(ConfigError):
        MemoryLSHIndex(FP_ID).add(fp)


EDGES = st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=30)


@given(EDGES)
def test_union_find_gives_connected_components(edges: list[tuple[int, int]]) -> None:
    sets = UnionFind()
    for a, b in edges:
        sets.union(str(a), str(b))
    reach = {str(n): {str(n)} for e in edges for n in e}
    for _ in range(16):  # naive transitive closure
        for a, b in edges:
            merged = reach[str(a)] | reach[str(b)]
            for n in merged:
                reach[n] = merged
    for x, y in itertools.product(reach, repeat=2):
        assert (sets.find(x) == sets.find(y)) == (y in reach[x])
    assert sum(sets.size[r] for r in {sets.find(x) for x in reach}) == len(reach)
