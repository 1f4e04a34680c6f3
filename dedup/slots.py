"""Template slots: where the members of a cluster differ from its representative, and how.

Each member is aligned with the representative (dedup.align). For every key position of the
representative, a member either agrees (aligned there, same character — digits compared as
written, since the key folds them all to 0), differs (the position lies in a small gap inside
one of its aligned stretches: a swapped name; or a digit differs: a swapped year), or abstains
(it has no aligned stretch there: a dropped or rewritten paragraph). A slot is a maximal run of
positions where at least a fifth of the texts aligned there differ, widened to whole digit runs
so a year is never split, plus insertion points where as many have extra text. Each member's
value is its text between the slot's two flanking positions (from its own sentence start when
the slot opens a sentence). A slot is kept when its values differ and it is no longer than
MAX_SLOT key characters: names and years are short, one member's rewritten sentence is not.
The template text is the display text of the representative with `{{n}}` blanks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.align import AlignConfig, Chain, KeyIndex, chains
from dedup.records import NormalizedText

SLOTS_VERSION = "slots-2"
_SENTENCE_ENDS = frozenset("。！？；!?;\n")
_SHARE = 5  # a position is a blank when at least 1/_SHARE of the texts there differ
MAX_SLOT = 16  # key characters: longer differences are rewrites, not blanks
_CLAUSE_MARKS = frozenset("，、。；：！？,;:!?\n")
# Finer than tracing: short exact stretches between two swapped names still anchor a slot.
SLOT_ALIGN = AlignConfig(threshold=0.6, min_span=5, max_gap=24, version="align-3-slots")


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
    kept = _in_order(chains(rep, KeyIndex(norm, config.seed), config))
    for chain in kept:
        _mark(chain, rep.norm, norm, mapped, differs, inserts)
    if kept:
        _mark_edges(kept[0], kept[-1], size, len(norm.key), config.max_gap, differs)
    return _Member(member_id, norm, mapped, differs, inserts)


def _in_order(found: list[Chain]) -> list[Chain]:
    """The chains in order on both sides that match the most characters: one reading of the
    member per template position, not derailed by a short stray match (moved sections)."""
    best: list[tuple[int, int]] = []  # (matched characters up to here, previous chain)
    for j, chain in enumerate(found):
        fits = [(best[i][0], i) for i in range(j) if _before(found[i], chain)]
        total, previous = max(fits, default=(0, -1))
        best.append((total + chain.matched, previous))
    order: list[Chain] = []
    at = max(range(len(found)), key=lambda j: best[j][0], default=-1)
    while at >= 0:
        order.append(found[at])
        at = best[at][1]
    return order[::-1]


def _before(a: Chain, b: Chain) -> bool:
    return a.a_end <= b.a_start and a.b_end <= b.b_start


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
    """Positions where at least a fifth of the texts aligned there differ (the representative
    votes for itself), widened to whole digit runs; insertion points likewise."""
    size = len(rep.key)
    differs = np.zeros(size, dtype=np.int32)
    inserts = np.zeros(size + 1, dtype=np.int32)
    voters = np.ones(size, dtype=np.int32)
    for view in views:
        differs += view.differs
        inserts[:-1] += view.inserts[:-1]
        voters += (view.mapped >= 0) | view.differs
    blank = (differs > 0) & (_SHARE * differs >= voters)
    for start, end in _digit_runs(rep):
        if blank[start:end].any():
            blank[start:end] = True
    voters_before = np.concatenate((voters, [1]))
    return blank, (inserts > 0) & (_SHARE * inserts >= voters_before)


def _digit_runs(norm: NormalizedText) -> list[tuple[int, int]]:
    """Key ranges of numbers: digits next to each other in the display text."""
    runs: list[tuple[int, int]] = []
    for pos, ch in enumerate(norm.key):
        if ch != "0":
            continue
        if runs and runs[-1][1] == pos and norm.key_offsets[pos - 1] + 1 == norm.key_offsets[pos]:
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
    """The slot over representative key positions [start, end), or None if all values agree
    or the text there is longer than a name or a date (a member's rewritten sentence)."""
    if end - start > MAX_SLOT:
        return None
    text_start, text_end = _display_range(rep, start, end)
    own = rep.display[text_start:text_end]
    if _CLAUSE_MARKS.intersection(own):
        return None  # a clause of its own, not a name or a date
    values = tuple((view.member_id, _value(view, rep, start, end, max_chars)) for view in views)
    if len({own, *(v for _, v in values if v is not None)}) < 2:
        return None
    return Slot(index, text_start, text_end, own, values)


def _display_range(norm: NormalizedText, start: int, end: int) -> tuple[int, int]:
    """Display offsets of key positions [start, end); an empty range sits before `start`."""
    if end > start:
        return norm.key_offsets[start], norm.key_offsets[end - 1] + 1
    at = norm.key_offsets[start]
    return at, at


def _value(view: _Member, rep: NormalizedText, start: int, end: int, max_chars: int) -> str | None:
    """The member's text strictly between its positions aligned with start-1 and end."""
    # Before the first and after the last position, the member's own text edges are the flanks.
    left = int(view.mapped[start - 1]) if start else -1
    right = int(view.mapped[end]) if end < len(view.mapped) else len(view.norm.key)
    if start and right >= 0 and _breaks_before(rep, start):
        # The slot opens a sentence ("{name}同志指出…"): so does the member's value, whatever
        # the member has before it (an unaligned or rewritten sentence is not part of it).
        left = max(left, _sentence_start(view.norm, right, max_chars) - 1)
    if (start and left < 0) or right < 0 or right <= left or right - left - 1 > max_chars:
        return None  # no aligned text on a side, or the member has a whole passage of its own
    if right == left + 1:
        return ""
    text_start, text_end = _display_range(view.norm, left + 1, right)
    value = view.norm.display[text_start:text_end]
    # The member's own sentence or line before the blank is not part of it.
    cut = max(value.rfind(mark) for mark in _SENTENCE_ENDS)
    return value[cut + 1 :].strip() if cut >= 0 else value


def _breaks_before(norm: NormalizedText, pos: int) -> bool:
    """A sentence or line ends between key positions pos-1 and pos (the text's start counts as
    one; its end does not: no sentence starts after the last key position)."""
    if pos == 0:
        return True
    if pos >= len(norm.key_offsets):
        return False
    gap = norm.display[norm.key_offsets[pos - 1] + 1 : norm.key_offsets[pos]]
    return any(ch in _SENTENCE_ENDS for ch in gap)


def _sentence_start(norm: NormalizedText, pos: int, max_chars: int) -> int:
    """The first key position of the sentence holding key position `pos` (at most max_chars back;
    -1 if it is further)."""
    for back in range(pos, max(pos - max_chars, 0) - 1, -1):
        if _breaks_before(norm, back):
            return back
    return -1


def _blanked(display: str, slots: list[Slot]) -> str:
    parts: list[str] = []
    pos = 0
    for slot in slots:
        parts.append(display[pos : slot.start])
        parts.append("{{" + str(slot.index) + "}}")
        pos = slot.end
    parts.append(display[pos:])
    return "".join(parts)
