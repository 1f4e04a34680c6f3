"""Winnowing: a few position-independent fingerprints per passage of the match key.

Every window of `window` consecutive key n-gram hashes contributes its minimum, so any shared
stretch of at least `window + gram - 1` key characters shares at least one fingerprint
(Schleimer, Wilkerson and Aiken 2003). A speech that reuses a single paragraph of a template
therefore shares fingerprints with it, though the two documents are far apart as wholes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.align import gram_hashes
from dedup.errors import ConfigError
from dedup.shingles import distinct, run_starts

_MASK = np.uint64((1 << 60) - 1)


@dataclass(frozen=True, slots=True)
class WinnowConfig:
    gram: int = 5
    # 16: any shared stretch of 20+ key characters shares a fingerprint, at ~2/17 of positions
    # kept. Window 8 (12+ characters) kept twice as many and made the passage index the largest
    # thing in Redis (~13 KB per speech at 1k documents, against ~7 KB at 16).
    window: int = 16

    def __post_init__(self) -> None:
        if self.gram < 2 or self.window < 1:
            raise ConfigError(f"gram must be >= 2 and window >= 1, got {self.gram}/{self.window}")

    @property
    def version(self) -> str:
        """Names the fingerprint scheme; stored fingerprints of another version never mix."""
        return f"win{self.gram}x{self.window}"


DEFAULT_WINNOW = WinnowConfig()


@dataclass(frozen=True, slots=True)
class SharingRule:
    """Which documents are passage candidates of one another: those sharing at least `min_shared`
    fingerprints, counting only fingerprints held by at most `max_docs` documents (more: stock
    phrases or boilerplate). Every candidate is aligned, so `max_docs` is what bounds the work."""

    min_shared: int = 2
    max_docs: int = 50

    def __post_init__(self) -> None:
        if self.max_docs < 1 or self.min_shared < 1:
            raise ConfigError(f"max_docs and min_shared must be >= 1, got {self.max_docs}/{self.min_shared}")


DEFAULT_SHARING = SharingRule()


def winnow(key: str, config: WinnowConfig = DEFAULT_WINNOW) -> tuple[int, ...]:
    """The distinct fingerprints of `key` (60-bit ints), sorted."""
    return tuple(int(h) for h in winnow_array(key, config))


def winnow_array(key: str, config: WinnowConfig = DEFAULT_WINNOW) -> npt.NDArray[np.uint64]:
    """`winnow` as a NumPy array (for callers that pack the fingerprints)."""
    hashes = gram_hashes(key, config.gram) & _MASK
    if hashes.size > config.window:
        hashes = window_minima(hashes, config.window)
    # a window's minimum mostly repeats the one before: drop those runs before sorting
    return distinct(hashes[run_starts(hashes)])


def window_minima(values: npt.NDArray[np.uint64], window: int) -> npt.NDArray[np.uint64]:
    """The minimum of every `window` consecutive values, by doubling spans: log2(window) whole-array
    minimums (a 1k-character key: ~8 µs against ~80 for the minimum of a sliding window view)."""
    span = 1
    while span * 2 <= window:
        values, span = np.minimum(values[:-span], values[span:]), span * 2
    rest = window - span  # [i, i + span) and [i + rest, i + rest + span) cover the window
    return np.minimum(values[:-rest], values[rest:]) if rest else values
