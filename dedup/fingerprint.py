"""Fingerprint of a match key: MinHash of its character n-grams, stamped with its config id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dedup.errors import ConfigError, Rejected
from dedup.minhash import MinHasher, Signature
from dedup.reasons import RejectReason
from dedup.shingles import shingle_hashes

# 64-bit polynomial + splitmix64 shingle hash cut to 32 bits, affine permutations mod 2**32.
HASH_SCHEME = "a32"


@dataclass(frozen=True, slots=True)
class FingerprintConfig:
    ngram: int = 5
    num_perm: int = 128
    seed: int = 1
    scheme: str = HASH_SCHEME
    min_shingles: int = 8  # fewer shingles than this: too short to mean anything, not indexed

    def __post_init__(self) -> None:
        if self.ngram < 1 or self.num_perm < 1 or self.scheme != HASH_SCHEME:
            raise ConfigError(f"unusable fingerprint config {self!r}")

    def id(self, norm_version: str) -> str:
        """Short id of everything that changes a signature; signatures of two ids never meet."""
        return f"c{self.ngram}m{self.num_perm}s{self.seed}{self.scheme}-{norm_version or 'n0'}"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    doc_id: str
    fingerprint_id: str
    signature: bytes  # num_perm little-endian uint32 values
    shingle_count: int
    key_hash: str  # sha1 of the match key: equal keys are exact duplicates

    def values(self) -> Signature:
        return np.frombuffer(self.signature, dtype="<u4")


@lru_cache(maxsize=8)
def hasher(config: FingerprintConfig) -> MinHasher:
    return MinHasher(config.num_perm, config.seed)


def key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()  # noqa: S324 - identity, not security


def fingerprint(doc_id: str, key: str, norm_version: str, config: FingerprintConfig) -> Fingerprint:
    """The document's fingerprint; `Rejected("too_short")` when it has too few shingles."""
    if not isinstance(key, str):
        raise Rejected(RejectReason.BAD_KEY, f"match key of {doc_id!r} is {type(key).__name__}, not str")
    hashes = shingle_hashes(key, config.ngram)
    if len(hashes) < config.min_shingles:
        raise Rejected(RejectReason.TOO_SHORT, f"{len(hashes)} shingles < {config.min_shingles}")
    sig = hasher(config).signature(hashes)
    return Fingerprint(
        doc_id, config.id(norm_version), sig.astype("<u4").tobytes(), len(hashes), key_hash(key)
    )
