"""The normalizer: one small named function per kind of Chinese web noise (see DESIGN.md)."""

from __future__ import annotations

from dedup.normalize.config import DEFAULT_NORM, NormConfig
from dedup.normalize.pages import join_pages
from dedup.normalize.pipeline import normalize, normalize_text

__all__ = ["DEFAULT_NORM", "NormConfig", "join_pages", "normalize", "normalize_text"]
