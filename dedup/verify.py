"""Candidate verification: Jaccard from signatures, containment from Jaccard and shingle counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.minhash import Signature

# Stored signatures keep the low 8 bits of each value (b-bit MinHash, Li & König): two different
# values then agree by chance with probability 2**-8, which the estimate below corrects for; the
# standard error at Jaccard 0.5 grows from 0.0442 to 0.0443 while the record shrinks 4x.
_CHANCE = 2.0**-8

Compact = npt.NDArray[np.uint8]


def compact(signature: Signature) -> bytes:
    return (signature & np.uint32(0xFF)).astype(np.uint8).tobytes()


def unpack(data: bytes) -> Compact:
    return np.frombuffer(data, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class EdgeRule:
    jaccard: float = 0.5
    near_identical: float = 0.8
    containment: float = 0.5


DEFAULT_RULE = EdgeRule()


@dataclass(frozen=True, slots=True)
class Edge:
    """A verified link; kind is exact, near_identical, similar or contained."""

    a: str
    b: str
    jaccard: float
    containment: float
    kind: str


def jaccard(a: Compact, b: Compact) -> float:
    agree = float(np.count_nonzero(a == b)) / len(a)
    return max(0.0, (agree - _CHANCE) / (1.0 - _CHANCE))


def containment(j: float, count_a: int, count_b: int) -> float:
    """|A∩B| / min(|A|, |B|), with |A∩B| = J (|A| + |B|) / (1 + J)."""
    smaller = min(count_a, count_b)
    if smaller <= 0:
        return 0.0
    return min(1.0, j * (count_a + count_b) / (1.0 + j) / smaller)


def kind_of(j: float, c: float, rule: EdgeRule) -> str | None:
    if j >= rule.near_identical:
        return "near_identical"
    if j >= rule.jaccard:
        return "similar"
    return "contained" if c >= rule.containment else None


def verify(
    doc: tuple[str, Compact, int], other: tuple[str, Compact, int], rule: EdgeRule = DEFAULT_RULE
) -> Edge | None:
    """The edge between two (doc_id, compact signature, shingle count) triples, if it holds."""
    j = jaccard(doc[1], other[1])
    c = containment(j, doc[2], other[2])
    kind = kind_of(j, c, rule)
    return None if kind is None else Edge(doc[0], other[0], round(j, 4), round(c, 4), kind)
