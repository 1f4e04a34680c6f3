"""The normalizer's knobs, frozen and versioned: any change of rules or values changes `version`."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, fields
from functools import lru_cache

from dedup.errors import ConfigError

# Bump when a rule's code changes what it outputs; the field values are hashed in as well.
RULES_VERSION = "norm4"


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
        # The repr is part of the cache key: configs equal as values (1 == 1.0) hash differently.
        return _version(self, repr(self))


# Asked on every normalization: hashing the fields cost 0.07 ms a call (astuple deep-copies),
# 0.04 ms/doc of the ingest's normalize; the config is frozen, so one computation stays true.
@lru_cache(maxsize=64)
def _version(config: NormConfig, _text: str) -> str:
    names = ",".join(f.name for f in fields(config))
    digest = hashlib.sha256(f"{names}={astuple(config)!r}".encode()).hexdigest()[:8]
    return f"{RULES_VERSION}-{digest}"


DEFAULT_NORM = NormConfig()
