"""Character n-gram shingles of a match key, hashed all at once with NumPy."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.uint32]
V = TypeVar("V", bound=np.generic)

_BASE = np.uint64(0x100000001B3)  # polynomial base for combining code points (odd, 64-bit)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def codepoints(key: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32)


def shingle_hashes(key: str, n: int = 5) -> Hashes:
    """Sorted distinct 32-bit hashes of the key's character n-grams (empty if len(key) < n)."""
    cp = codepoints(key).astype(np.uint64)
    m = len(cp) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint32)
    h = cp[:m].copy()
    for j in range(1, n):
        h *= _BASE
        h += cp[j : j + m]
    return distinct((mix64(h) >> np.uint64(32)).astype(np.uint32))


def distinct(values: npt.NDArray[V]) -> npt.NDArray[V]:
    """Sorted distinct values; sort + mask is ~10x faster than np.unique on 3k uint32 here."""
    ordered = np.sort(values)
    return ordered[run_starts(ordered)]


def run_starts(values: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """Where each run of equal consecutive values starts."""
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def mix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finalizer, in place: spreads the polynomial's bits over the high word."""
    h ^= h >> np.uint64(30)
    h *= _M1
    h ^= h >> np.uint64(27)
    h *= _M2
    h ^= h >> np.uint64(31)
    return h


def shingle_set(key: str, n: int = 5) -> set[str]:
    """The exact n-gram set (for evaluation against estimates)."""
    return {key[i : i + n] for i in range(len(key) - n + 1)}
