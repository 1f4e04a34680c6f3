"""The normalizer's knobs, frozen and versioned: any change of rules or values changes `version`."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, fields

from dedup.errors import ConfigError

# Bump when a rule's code changes what it outputs; the field values are hashed in as well.
RULES_VERSION = "norm1"


@dataclass(frozen=True, slots=True)
class NormConfig:
    """Thresholds of the normalization rules; `version` is stamped on every NormalizedText."""

    to_simplified: bool = True
    min_key_chars: int = 20
    tag_cloud_max_chars: int = 8
    tag_cloud_min_lines: int = 3
    summary_gram: int = 8
    summary_coverage: float = 0.8
    summary_window: int = 12
    chunk_min_mean_chars: int = 120
    chrome_max_chars: int = 300
    header_lines: int = 8

    def __post_init__(self) -> None:
        if self.min_key_chars < 1 or self.summary_gram < 2 or not 0 < self.summary_coverage <= 1:
            raise ConfigError(f"invalid NormConfig: {self}")

    @property
    def version(self) -> str:
        names = ",".join(f.name for f in fields(self))
        digest = hashlib.sha256(f"{names}={astuple(self)!r}".encode()).hexdigest()[:8]
        return f"{RULES_VERSION}-{digest}"


DEFAULT_NORM = NormConfig()
