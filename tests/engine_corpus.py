"""Fingerprints of a small generated corpus, shared by the engine's tests."""

from __future__ import annotations

import re
from functools import lru_cache

from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint
from synthetic.corpus import CorpusDoc, generate

CONFIG = FingerprintConfig()
NORM = "plain"
FP_ID = CONFIG.id(NORM)
_DROP = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")


def plain_key(text: str) -> str:
    """The clean text's key: letters and CJK only, digits folded (as the real key does)."""
    return re.sub(r"[0-9]", "0", _DROP.sub("", text))


@lru_cache(maxsize=4)
def corpus(n: int = 300, seed: int = 5) -> tuple[tuple[CorpusDoc, Fingerprint], ...]:
    docs = generate(n, seed=seed)
    return tuple((d, fingerprint(d.doc_id, plain_key(d.text), NORM, CONFIG)) for d in docs)


def partition(labels: dict[str, str]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for doc, label in labels.items():
        groups.setdefault(label, []).append(doc)
    return sorted(sorted(g) for g in groups.values())
