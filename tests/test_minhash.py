"""MinHash signatures, fingerprints and the verification arithmetic."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import Rejected
from dedup.fingerprint import FingerprintConfig, fingerprint
from dedup.minhash import EMPTY, MinHasher, jaccard_estimate
from dedup.verify import EdgeRule, compact, containment, jaccard, kind_of, unpack

HASHES = st.lists(st.integers(0, 2**32 - 1), max_size=200, unique=True).map(
    lambda xs: np.array(sorted(xs), dtype=np.uint32)
)


def naive(hasher: MinHasher, hashes: np.ndarray) -> list[int]:
    return [
        min(((int(a) * int(x) + int(b)) % 2**32 for x in hashes), default=int(EMPTY))
        for a, b in zip(hasher.a, hasher.b, strict=True)
    ]


@settings(max_examples=30, deadline=None)
@given(HASHES)
def test_signature_is_the_minimum_of_each_permutation(hashes: np.ndarray) -> None:
    hasher = MinHasher(num_perm=40, seed=3, block=16)
    assert hasher.signature(hashes).tolist() == naive(hasher, hashes)


@settings(max_examples=20, deadline=None)
@given(st.lists(HASHES, max_size=6))
def test_batch_equals_one_by_one(batch: list[np.ndarray]) -> None:
    hasher = MinHasher(num_perm=64, seed=5)
    rows = hasher.signatures(batch)
    assert rows.shape == (len(batch), 64)
    for row, hashes in zip(rows, batch, strict=True):
        assert np.array_equal(row, hasher.signature(hashes))


def test_estimates_track_exact_jaccard() -> None:
    rng = np.random.default_rng(0)
    hasher = MinHasher()
    errors = []
    for _ in range(100):
        j = rng.uniform(0.05, 0.95)
        shared = int(2000 * j / (1 + j))
        pool = rng.choice(2**32, size=shared + 2 * (2000 - shared), replace=False).astype(np.uint32)
        a = pool[:2000]
        b = np.concatenate([pool[:shared], pool[2000:]])
        exact = shared / (4000 - shared)
        sa, sb = hasher.signature(np.unique(a)), hasher.signature(np.unique(b))
        errors.append(abs(jaccard_estimate(sa, sb) - exact))
        assert abs(jaccard(unpack(compact(sa)), unpack(compact(sb))) - jaccard_estimate(sa, sb)) < 0.02
    assert np.mean(errors) < 0.045  # 128 permutations: standard error <= 0.044


def test_fingerprint_is_stamped_and_deterministic() -> None:
    config = FingerprintConfig()
    key = "今天我们召开全市教育工作会议主要任务是回顾总结工作"
    a = fingerprint("d1", key, "n7", config)
    assert a == fingerprint("d1", key, "n7", config)
    assert a.fingerprint_id == config.id("n7") and "n7" in a.fingerprint_id
    assert config.id("n7") != config.id("n8") != FingerprintConfig(seed=2).id("n8")
    assert a.shingle_count == len(key) - 4 and len(a.values()) == 128
    assert fingerprint("d2", key + "谢谢", "n7", config).key_hash != a.key_hash


def test_too_short_and_bad_keys_are_rejected_with_a_reason() -> None:
    with pytest.raises(Rejected) as err:
        fingerprint("d", "同志们好", "n1", FingerprintConfig())
    assert err.value.reason == "too_short"
    with pytest.raises(Rejected) as err:
        fingerprint("d", None, "n1", FingerprintConfig())  # type: ignore[arg-type]
    assert err.value.reason == "bad_key"


@given(st.floats(0, 1), st.integers(1, 5000), st.integers(1, 5000))
def test_containment_is_bounded_and_symmetric(j: float, a: int, b: int) -> None:
    c = containment(j, a, b)
    assert 0.0 <= c <= 1.0 and c == containment(j, b, a) and c >= j - 1e-12


def test_edge_kinds_follow_the_rule() -> None:
    rule = EdgeRule()
    assert kind_of(0.85, 0.9, rule) == "near_identical"
    assert kind_of(0.55, 0.7, rule) == "similar"
    assert kind_of(0.3, 0.6, rule) == "contained"
    assert kind_of(0.3, 0.4, rule) is None
    # a template of 1000 shingles fully inside a 2500-shingle speech: J = 0.4, containment 1
    assert containment(0.4, 1000, 2500) == pytest.approx(1.0)


def test_two_threads_fingerprinting_at_once_get_what_one_gets() -> None:
    """The hasher is shared (fingerprint.hasher caches it): found by the model test's two
    ingestors, which got a few wrong signatures (and so wrong edges) from a shared buffer."""
    keys = ["".join(chr(0x4E00 + (i * 7919 + k * 104729) % 20000) for i in range(600)) for k in range(2)]
    want = [fingerprint("d", key, "n", FingerprintConfig()).signature for key in keys]
    wrong = [0, 0]

    def work(k: int) -> None:
        for _ in range(400):
            wrong[k] += fingerprint("d", keys[k], "n", FingerprintConfig()).signature != want[k]

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == [0, 0]
