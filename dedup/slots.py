"""Template slots: where the members of a cluster differ from its representative, and how.

Each member is aligned with the representative (dedup.align). For every key position of the
representative, a member either agrees (aligned there, same character — digits compared as
written, since the key folds them all to 0), differs (the position lies in a small gap inside
one of its aligned stretches: a swapped name; or a digit differs: a swapped year), or abstains
(it has no aligned stretch there: a dropped or rewritten paragraph). A slot is a maximal run of
positions where at least half of the texts aligned there differ, widened to whole digit runs so
a year is never split, plus insertion points where at least half have extra text. Each member's
value is its text between the slot's two flanking positions. A slot is kept only when no value
is shared by more than half of the texts (representative included): names and years differ
across a template's copies, while one member's rewritten sentence leaves the others agreeing.
The template text is the display text of the representative with `{{n}}` blanks.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.align import AlignConfig, Chain, KeyIndex, chains
from dedup.records import NormalizedText

SLOTS_VERSION = "slots-1"
# Finer than tracing: short exact stretches between two swapped names still anchor a slot.
SLOT_ALIGN = AlignConfig(threshold=0.6, min_span=5, max_gap=24, version="align-2-slots")


@dataclass(frozen=True, slots=True)
class Slot:
    """A blank of the template: representative display [start, end) and each member's value
    (None: the member has no text aligned around this slot)."""

    index: int
    start: int
    end: int
    text: str
    values: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Template:
    representative_id: str
    text: str
    slots: tuple[Slot, ...]
    members: tuple[str, ...]
    version: str = SLOTS_VERSION


@dataclass(frozen=True, slots=True)
class _Member:
    """One member against the representative: `mapped[p]` = member key position aligned with
    representative key position p (-1: none); `differs[p]` = the member differs at p;
    `inserts[p]` = the member has extra text right before p."""

    member_id: str
    norm: NormalizedText
    mapped: np.ndarray
    differs: np.ndarray
    inserts: np.ndarray


def template_slots(
    representative: NormalizedText,
    members: Sequence[tuple[str, NormalizedText]],
    config: AlignConfig = SLOT_ALIGN,
) -> Template:
    """The representative's text with its slots and every member's value in each slot."""
    rep = KeyIndex(representative, config.seed)
    views = [_view(rep, member_id, norm, config) for member_id, norm in members]
    differs, inserts = _blanks(representative, views)
    slots: list[Slot] = []
    for start, end in _runs(differs, inserts):
        slot = _slot(len(slots) + 1, representative, views, start, end, config.max_gap)
        if slot is not None:
            slots.append(slot)
    text = _blanked(representative.display, slots)
    return Template(representative.source_id, text, tuple(slots), tuple(m for m, _ in members))


def _view(rep: KeyIndex, member_id: str, norm: NormalizedText, config: AlignConfig) -> _Member:
    size = len(rep.norm.key)
    mapped = np.full(size, -1, dtype=np.int64)
    differs = np.zeros(size, dtype=bool)
    inserts = np.zeros(size + 1, dtype=bool)
    kept: list[Chain] = []
    for chain in chains(rep, KeyIndex(norm, config.seed), config):
        if not kept or chain.b_start > kept[-1].b_end - 1:
            # One reading of the member per template position: its side stays in order.
            _mark(chain, rep.norm, norm, mapped, differs, inserts)
            kept.append(chain)
    if kept:
        _mark_edges(kept[0], kept[-1], size, len(norm.key), config.max_gap, differs)
    return _Member(member_id, norm, mapped, differs, inserts)


def _mark_edges(
    first: Chain, last: Chain, size_a: int, size_b: int, max_gap: int, differs: np.ndarray
) -> None:
    """A short unaligned head (or tail) on both sides is a swapped name at the very start."""
    if 0 < first.a_start <= max_gap and first.b_start <= max_gap:
        differs[: first.a_start] = True
    if 0 < size_a - last.a_end <= max_gap and size_b - last.b_end <= max_gap:
        differs[last.a_end :] = True


def _mark(
    chain: Chain,
    rep: NormalizedText,
    member: NormalizedText,
    mapped: np.ndarray,
    differs: np.ndarray,
    inserts: np.ndarray,
) -> None:
    """Record one aligned stretch: matched positions, digits written differently, gaps."""
    previous = None
    for block in chain.blocks:
        mapped[block.a : block.a + block.size] = np.arange(block.b, block.b + block.size)
        for k in range(block.size):
            if rep.key[block.a + k] == "0" and _digit(rep, block.a + k) != _digit(member, block.b + k):
                differs[block.a + k] = True
        if previous is not None:
            gap_a, gap_b = block.a - previous[0], block.b - previous[1]
            differs[previous[0] : block.a] = True
            inserts[block.a] |= gap_a == 0 and gap_b > 0
        previous = (block.a + block.size, block.b + block.size)


def _digit(norm: NormalizedText, key_pos: int) -> str:
    return unicodedata.normalize("NFKC", norm.display[norm.key_offsets[key_pos]])


def _blanks(rep: NormalizedText, views: list[_Member]) -> tuple[np.ndarray, np.ndarray]:
    """Positions where at least half of the texts aligned there differ (the representative
    votes for itself), widened to whole digit runs; insertion points likewise."""
    size = len(rep.key)
    differs = np.zeros(size, dtype=np.int32)
    inserts = np.zeros(size + 1, dtype=np.int32)
    voters = np.ones(size, dtype=np.int32)
    for view in views:
        differs += view.differs
        inserts[:-1] += view.inserts[:-1]
        voters += (view.mapped >= 0) | view.differs
    blank = (differs > 0) & (2 * differs >= voters)
    for start, end in _digit_runs(rep.key):
        if blank[start:end].any():
            blank[start:end] = True
    voters_before = np.concatenate((voters, [1]))
    return blank, (inserts > 0) & (2 * inserts >= voters_before)


def _digit_runs(key: str) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for pos, ch in enumerate(key):
        if ch != "0":
            continue
        if runs and runs[-1][1] == pos:
            runs[-1] = (runs[-1][0], pos + 1)
        else:
            runs.append((pos, pos + 1))
    return runs


def _runs(differs: np.ndarray, inserts: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of differing positions, plus empty runs at insertion points outside them."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], differs.astype(np.int8), [0]))))
    runs = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    covered = np.concatenate(([False], differs)) | np.concatenate((differs, [False]))
    runs.extend((int(p), int(p)) for p in np.flatnonzero(inserts & ~covered))
    return sorted(runs)


def _slot(
    index: int, rep: NormalizedText, views: list[_Member], start: int, end: int, max_chars: int
) -> Slot | None:
    """The slot over representative key positions [start, end), or None if all values agree."""
    text_start, text_end = _display_range(rep, start, end)
    own = rep.display[text_start:text_end]
    values = tuple((view.member_id, _value(view, start, end, max_chars)) for view in views)
    known = [own, *(v for _, v in values if v is not None)]
    if Counter(known).most_common(1)[0][1] * 2 > len(known):
        return None  # most agree: one member's rewrite, not a blank of the template
    return Slot(index, text_start, text_end, own, values)


def _display_range(norm: NormalizedText, start: int, end: int) -> tuple[int, int]:
    """Display offsets of key positions [start, end); an empty range sits before `start`."""
    if end > start:
        return norm.key_offsets[start], norm.key_offsets[end - 1] + 1
    at = norm.key_offsets[start]
    return at, at


def _value(view: _Member, start: int, end: int, max_chars: int) -> str | None:
    """The member's text strictly between its positions aligned with start-1 and end."""
    # Before the first and after the last position, the member's own text edges are the flanks.
    left = int(view.mapped[start - 1]) if start else -1
    right = int(view.mapped[end]) if end < len(view.mapped) else len(view.norm.key)
    if (start and left < 0) or right < 0 or right <= left or right - left - 1 > max_chars:
        return None  # no aligned text on a side, or the member has a whole passage of its own
    if right == left + 1:
        return ""
    text_start, text_end = _display_range(view.norm, left + 1, right)
    return view.norm.display[text_start:text_end]


def _blanked(display: str, slots: list[Slot]) -> str:
    parts: list[str] = []
    pos = 0
    for slot in slots:
        parts.append(display[pos : slot.start])
        parts.append("{{" + str(slot.index) + "}}")
        pos = slot.end
    parts.append(display[pos:])
    return "".join(parts)
