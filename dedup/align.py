"""Local alignment of two normalized texts: which stretches of one reappear in the other.

Works on the match key (simplified, no punctuation or spaces, digits folded to 0), so swapped
years and counts match and only swapped names break a stretch. The key is read as units: a
character of a script written without spaces (Chinese, Japanese, Thai...) or a digit is a unit;
a word of a space-delimited script (Latin, Cyrillic...: letters standing together in the display
text) is one unit. So Chinese aligns on characters and an English passage, in an English page or
a Chinese one, on words: seeds are word n-grams and spans are measured in words, so a verbatim
passage is found whole while a stock phrase of a few words stays below `min_span`. Three steps:

1. seeds: every `seed`-unit n-gram shared by both texts (sorted hashes, NumPy), grouped
   into exact blocks along diagonals;
2. chaining: blocks are chained like a local alignment (Smith-Waterman over blocks) scoring
   `matched - penalty * unmatched` with `penalty = threshold / (2 * (1 - threshold))`, so every
   chain with a positive score has similarity `2 * matched / (len_a + len_b) >= threshold`;
3. output: chains at least `min_span` units long, as display-text offsets through
   `NormalizedText.key_offsets` (`chains` and `match_blocks` give key offsets).

Alignment is symmetric in spirit and never depends on other documents.
"""

from __future__ import annotations

import array
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dedup.errors import ConfigError
from dedup.records import NormalizedText

_MULT = np.uint64(0x9E3779B97F4A7C15)
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
# Below this many blocks the neighbour filter costs more than the chaining it saves.
_FILTER_ABOVE = 64
_INVERSE = np.uint64(pow(int(_MULT), -1, 1 << 64))  # powers[0] == 1: a one-letter word is its code
# Key characters of a text written without spaces lie in the odd buckets between these bounds:
# the digit (every digit is "0" in the key), Thai to Myanmar, Khmer, and U+2E80 on (CJK, kana,
# Hangul syllables and beyond).
_SPACELESS_BOUNDS = np.array([0x30, 0x31, 0x0E00, 0x10A0, 0x1780, 0x1800, 0x2E80], dtype=np.uint32)


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Alignment parameters; `version` is stamped on stored alignments and must change with them."""

    seed: int = 5
    threshold: float = 0.8
    min_span: int = 15
    max_gap: int = 12
    max_seed_repeats: int = 24
    lookback: int = 3
    version: str = "align-3"  # align-3: words of space-delimited scripts are units

    def __post_init__(self) -> None:
        if not 2 <= self.seed <= 12:
            raise ConfigError(f"seed must be 2..12, got {self.seed}")
        if not 0.5 <= self.threshold < 1.0:
            raise ConfigError(f"threshold must be in [0.5, 1), got {self.threshold}")
        if self.min_span < self.seed or self.max_gap < 0 or self.lookback < 1:
            raise ConfigError("min_span must be >= seed; max_gap >= 0; lookback >= 1")

    @property
    def penalty(self) -> float:
        return self.threshold / (2.0 * (1.0 - self.threshold))


DEFAULT_ALIGN = AlignConfig()


@dataclass(frozen=True, slots=True)
class Alignment:
    """`a.display[a_start:a_end]` reappears as `b.display[b_start:b_end]` (key similarity)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    similarity: float

    def swapped(self) -> Alignment:
        return Alignment(self.b_start, self.b_end, self.a_start, self.a_end, self.similarity)


class Block(NamedTuple):
    """`a.key[a:a+size] == b.key[b:b+size]` (key offsets). Blocks and chains are named tuples:
    thousands are made per document, and a frozen dataclass costs three times as much to build."""

    a: int
    b: int
    size: int


class Chain(NamedTuple):
    """Exact blocks in increasing order on both sides, bridged by small gaps (key offsets)."""

    blocks: tuple[Block, ...]
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matched: int

    @property
    def similarity(self) -> float:
        """Twice the matched key characters over the key characters spanned on both sides."""
        total = (self.a_end - self.a_start) + (self.b_end - self.b_start)
        return 2.0 * self.matched / total if total else 0.0


class Blocks(NamedTuple):
    """Exact blocks as columns (`a[k]`, `b[k]`, `size[k]` describe one `Block`): about half the
    blocks end in no kept chain, so Blocks are only made for kept chains (with the checks below,
    chaining went from 0.24 to 0.19 CPU ms/doc of the ingest)."""

    a: list[int]
    b: list[int]
    size: list[int]


class SeedTable:
    """What aligning a text needs, and nothing else: its distinct unit n-gram hashes, sorted, and
    where each occurs (`order[first[k]:first[k] + runs[k]]` are the unit positions of
    `values[k]`); `starts[u]` is the key position of unit u (None: every unit is one character);
    the key's length and each key character's display offset. A worker keeps thousands of these
    (workers.stores.candidate_cache): about 20 bytes a key character, a fifth of the text it came from."""

    __slots__ = ("first", "key_offsets", "key_size", "order", "runs", "seed", "starts", "values")

    first: np.ndarray
    key_offsets: Sequence[int]
    key_size: int
    order: np.ndarray
    runs: np.ndarray
    seed: int
    starts: np.ndarray | None
    values: np.ndarray

    def key_position(self, unit: int) -> int:
        """The key position where unit `unit` starts (the key's length past the last unit)."""
        if self.starts is None:
            return unit
        return int(self.starts[unit]) if unit < self.starts.size else self.key_size

    def compact(self) -> SeedTable:
        """The same table in the fewest bytes (32-bit columns, offsets as a C array), without
        the text it was prepared from."""
        table = SeedTable()
        table.seed, table.key_size, table.starts = self.seed, self.key_size, self.starts
        table.order, table.values = self.order, self.values
        table.first, table.runs = self.first.astype(np.int32), self.runs.astype(np.int32)
        table.key_offsets = array.array("i", self.key_offsets)
        return table

    @property
    def nbytes(self) -> int:
        """The bytes its columns hold (what a cache of tables is bounded by)."""
        columns = (self.first, self.order, self.runs, self.values)
        starts = 0 if self.starts is None else self.starts.nbytes
        offsets = self.key_offsets
        width = offsets.itemsize if isinstance(offsets, array.array) else 8  # a tuple: a pointer each
        return sum(c.nbytes for c in columns) + starts + width * len(offsets)


class KeyIndex(SeedTable):
    """A text prepared for seeding (once per text), with the text it was prepared from."""

    __slots__ = ("norm",)

    def __init__(self, norm: NormalizedText, seed: int) -> None:
        self.norm = norm
        _fill(self, norm.key, norm.key_offsets, seed)


def _fill(table: SeedTable, key: str, key_offsets: Sequence[int], seed: int) -> None:
    """Build `table`'s columns from a match key and its display offsets."""
    table.seed, table.key_size, table.key_offsets = seed, len(key), key_offsets
    codes, table.starts = key_units(key, key_offsets)
    # The low 32 bits (a polynomial hash mod 2**32) are plenty for seeding: a rare collision
    # only adds a lone spurious seed, and 32-bit keys halve what the sorts and searches move.
    # The polynomial hash mod 2**32 is the 64-bit one's low half, computed in half the bytes.
    hashes = _code_hashes(codes.astype(np.uint32, copy=False), seed).astype(np.uint64)
    # Sorting (hash << 32 | position) is about twice as fast as an argsort of the hashes.
    packed = np.sort((hashes << _SHIFT) | np.arange(hashes.size, dtype=np.uint64))
    table.order = (packed & _LOW32).astype(np.int32)
    ordered = (packed >> _SHIFT).astype(np.uint32)
    # Run edges with an end sentinel: np.diff(first, append=...) took 15 us of a 80 us prepare.
    fresh = np.ones(ordered.size + 1, dtype=bool)
    fresh[1:-1] = ordered[1:] != ordered[:-1]
    edges = np.flatnonzero(fresh)
    table.first = edges[:-1]
    table.values = ordered[table.first]
    table.runs = edges[1:] - edges[:-1]


@dataclass(frozen=True, slots=True)
class PackedKey:
    """A match key and its display offsets in about 3 bytes a character, an eighth of its seed
    table: what a worker keeps of many more candidates than it keeps tables of (rebuilding the
    table from it costs a quarter of reading the text back and normalizing its key). `steps`:
    each offset's distance from the one before (the first from 0), when all fit in a byte."""

    key: str
    steps: bytes
    wide: array.array | None  # the offsets themselves when a step does not fit in a byte
    seed: int

    @classmethod
    def of(cls, key: str, table: SeedTable) -> PackedKey:
        """`key` packed with the offsets of its table (a compact one's are read in place)."""
        offsets = table.key_offsets
        wide = offsets if isinstance(offsets, array.array) else array.array("i", offsets)
        steps = np.diff(np.frombuffer(wide, dtype=np.int32), prepend=0)
        if steps.size and (steps.min() < 0 or steps.max() > 255):
            return cls(key, b"", wide, table.seed)
        return cls(key, steps.astype(np.uint8).tobytes(), None, table.seed)

    def table(self) -> SeedTable:
        """The seed table this key was packed from (the same columns)."""
        offsets = self.wide
        if offsets is None:
            offsets = array.array("i")
            offsets.frombytes(np.cumsum(np.frombuffer(self.steps, dtype=np.uint8), dtype=np.int32).tobytes())
        table = SeedTable()
        _fill(table, self.key, offsets, self.seed)
        return table.compact()

    @property
    def nbytes(self) -> int:
        wide = 0 if self.wide is None else self.wide.itemsize * len(self.wide)
        return sys.getsizeof(self.key) + len(self.steps) + wide


def key_units(key: str, key_offsets: Sequence[int]) -> tuple[np.ndarray, np.ndarray | None]:
    """A code per unit of the key (the character's, 32-bit, when every unit is one character;
    else 64-bit), and each unit's key position (None when every unit is one character: Chinese
    text without a word of a space-delimited script)."""
    narrow = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32)
    letters = _word_letters(narrow)  # positions, usually few in Chinese text
    pairs = letters[:-1][letters[1:] == letters[:-1] + 1]  # letter at p and at p + 1
    if pairs.size:
        offsets = np.asarray(key_offsets, dtype=np.int64)
        pairs = pairs[offsets[pairs + 1] == offsets[pairs] + 1]  # standing together in the display
    if not pairs.size:
        return narrow, None
    codes = narrow.astype(np.uint64)
    fresh = np.ones(codes.size, dtype=bool)
    fresh[pairs + 1] = False
    starts = np.flatnonzero(fresh)
    within = np.arange(codes.size) - np.repeat(starts, np.diff(starts, append=codes.size))
    powers = np.cumprod(np.full(int(within.max()) + 1, _MULT, dtype=np.uint64)) * _INVERSE
    return np.add.reduceat(codes * powers[within], starts), starts


def _word_letters(codes: np.ndarray) -> np.ndarray:
    """Positions of the key characters that are letters of a script written with spaces."""
    at = np.flatnonzero(codes < _SPACELESS_BOUNDS[-1])  # above: CJK, kana, Hangul... no spaces
    bucket = np.searchsorted(_SPACELESS_BOUNDS, codes[at], side="right")
    return at[(bucket & 1) == 0]


def _key_codes(key: str) -> np.ndarray:
    return np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def gram_hashes(key: str, seed: int) -> np.ndarray:
    """A 64-bit hash of every `seed`-character n-gram of `key`, in order."""
    return _code_hashes(_key_codes(key), seed)


def _code_hashes(codes: np.ndarray, seed: int) -> np.ndarray:
    """A hash of every `seed`-code n-gram of `codes`, in order, as wide as the codes (the 32-bit
    hash is the 64-bit one mod 2**32)."""
    n = len(codes) - seed + 1
    if n <= 0:
        return np.zeros(0, dtype=codes.dtype)
    mult = _MULT.astype(codes.dtype)  # uint32: the multiplier's low half
    hashes = codes[:n].copy()
    for offset in range(1, seed):
        hashes *= mult
        hashes += codes[offset : offset + n]
    return hashes


def prepare(norm: NormalizedText, config: AlignConfig = DEFAULT_ALIGN) -> KeyIndex:
    return KeyIndex(norm, config.seed)


def align(
    a: NormalizedText, b: NormalizedText, config: AlignConfig = DEFAULT_ALIGN
) -> tuple[Alignment, ...]:
    """Reused stretches between `a` and `b`, in display offsets of each."""
    return align_prepared(prepare(a, config), prepare(b, config), config)


def align_many(
    doc: NormalizedText, candidates: Sequence[NormalizedText], config: AlignConfig = DEFAULT_ALIGN
) -> list[tuple[Alignment, ...]]:
    """`align(doc, c)` for each candidate, preparing `doc` once and seeding all in one pass."""
    prepared = prepare(doc, config)
    return align_prepared_many(prepared, [prepare(c, config) for c in candidates], config)


def align_prepared(
    a: SeedTable, b: SeedTable, config: AlignConfig = DEFAULT_ALIGN
) -> tuple[Alignment, ...]:
    return align_prepared_many(a, [b], config)[0]


def align_prepared_many(
    a: SeedTable, bs: Sequence[SeedTable], config: AlignConfig = DEFAULT_ALIGN
) -> list[tuple[Alignment, ...]]:
    return [
        tuple(_to_display(chain, a, b) for chain in _kept(blocks, config))
        for b, blocks in zip(bs, block_columns_many(a, bs, config), strict=True)
    ]


def align_prepared_against(
    as_: Sequence[SeedTable], b: SeedTable, config: AlignConfig = DEFAULT_ALIGN
) -> list[tuple[Alignment, ...]]:
    """`align_prepared(a, b)` for each a, seeding all in one pass (`align_prepared_many` with
    the one text on side b)."""
    return [
        tuple(_to_display(chain, a, b) for chain in _kept(blocks, config))
        for a, blocks in zip(as_, block_columns_against(as_, b, config), strict=True)
    ]


def chains(a: SeedTable, b: SeedTable, config: AlignConfig = DEFAULT_ALIGN) -> list[Chain]:
    """Chains of at least `min_span` units with similarity >= threshold, by `a` offset, in key
    offsets."""
    found = _kept(block_columns_many(a, [b], config)[0], config)
    if a.starts is None and b.starts is None:
        return found
    return [_chain_in_key(chain, a, b) for chain in found]


def match_blocks(a: SeedTable, b: SeedTable, config: AlignConfig = DEFAULT_ALIGN) -> list[Block]:
    """Maximal exact blocks of at least `seed` units that could join a chain, by a, in key
    offsets."""
    blocks = [Block(*t) for t in zip(*block_columns_many(a, [b], config)[0], strict=True)]
    return [_block_in_key(block, a, b) for block in blocks]


def _block_in_key(block: Block, a: SeedTable, b: SeedTable) -> Block:
    """A block of units as a block of key characters (equal units are equal words; the shorter
    side bounds it all the same, should a seed hash collide)."""
    start_a, start_b = a.key_position(block.a), b.key_position(block.b)
    end_a, end_b = a.key_position(block.a + block.size), b.key_position(block.b + block.size)
    return Block(start_a, start_b, min(end_a - start_a, end_b - start_b))


def _chain_in_key(chain: Chain, a: SeedTable, b: SeedTable) -> Chain:
    blocks = tuple(_block_in_key(block, a, b) for block in chain.blocks)
    return Chain(
        blocks,
        a.key_position(chain.a_start),
        a.key_position(chain.a_end),
        b.key_position(chain.b_start),
        b.key_position(chain.b_end),
        sum(block.size for block in blocks),
    )


def block_columns_many(
    a: SeedTable, bs: Sequence[SeedTable], config: AlignConfig = DEFAULT_ALIGN
) -> list[Blocks]:
    """`match_blocks(a, b)` for every b as columns, vectorized over all of them at once: one row
    of seed matches per candidate, so NumPy's per-call overhead is paid once, not per candidate."""
    width = a.order.size
    if width == 0 or not bs:
        return [Blocks([], [], []) for _ in bs]
    bases = np.arange(len(bs) + 1) * width
    match, flat, jb = _seed_pairs(a, bs, bases, config.max_seed_repeats)
    return _block_rows(match, flat, jb, bases, a.seed, config)


def block_columns_against(
    as_: Sequence[SeedTable], b: SeedTable, config: AlignConfig = DEFAULT_ALIGN
) -> list[Blocks]:
    """`match_blocks(a, b)` for every a as columns, all at once: rows of a's width each (a
    document's candidates that sort before it are aligned on side a, see workers.flow.ingest)."""
    bases = np.cumsum([0] + [a.order.size for a in as_])
    if bases[-1] == 0 or b.order.size == 0:
        return [Blocks([], [], []) for _ in as_]
    match, flat, jb = _seed_pairs(b, as_, bases, config.max_seed_repeats, many_on_a=True)
    return _block_rows(match, flat, jb, bases, b.seed, config)


def _block_rows(
    match: np.ndarray, flat: np.ndarray, jb: np.ndarray, bases: np.ndarray, seed: int, config: AlignConfig
) -> list[Blocks]:
    """Each row's blocks from its seed matches (row r holds positions `bases[r]:bases[r + 1]`
    of side a's texts)."""
    _adopt_repeated(match, flat, jb, bases)
    starts, sizes = _runs(match, seed, bases)
    bounds = np.searchsorted(starts, bases).tolist()
    return [
        _blocks(starts[lo:hi] - base, match[starts[lo:hi]], sizes[lo:hi], config)
        for base, lo, hi in zip(bases.tolist(), bounds, bounds[1:], strict=False)
    ]


def _blocks(ia: np.ndarray, jb: np.ndarray, sizes: np.ndarray, config: AlignConfig) -> Blocks:
    if ia.size > _FILTER_ABOVE:
        keep = _chainable(ia, jb, sizes, config)
        ia, jb, sizes = ia[keep], jb[keep], sizes[keep]
    return Blocks(ia.tolist(), jb.tolist(), sizes.tolist())


def _seed_pairs(
    one: SeedTable, many: Sequence[SeedTable], bases: np.ndarray, max_repeats: int, many_on_a: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared seeds of `one` with each of `many`, a row each, row r's side-a positions from
    `bases[r]` (side a: `one`, or each of `many` if `many_on_a`): `unique[bases[row] + i]` =
    position in b of a seed found once in each text (-1: none), plus (bases[row] + i, j) pairs of
    seeds repeated in either text (unless repeated more than `max_repeats` times). A row's seeds
    come out in the same order whichever side is batched."""
    unique = np.full(int(bases[-1]), -1, dtype=np.int32)
    table = _Concatenated(many)
    if table.values.size == 0 or one.values.size == 0:
        return unique, unique[:0], unique[:0]
    # Every candidate's seeds looked up in one's table: a few thousand values that stay in cache,
    # where looking one's seeds up in all candidates at once searched a table 20 times larger.
    at = _where_in(one.values, table.values)
    g = np.flatnonzero(one.values[at] == table.values)
    row, k = table.rows[g], at[g]
    a, ka, b, kb = (table, g, one, k) if many_on_a else (one, k, table, g)
    in_a, in_b = a.runs[ka], b.runs[kb]
    once = (in_a == 1) & (in_b == 1)
    unique[bases[row[once]] + a.order[a.first[ka[once]]]] = b.order[b.first[kb[once]]]
    multi = ~once & (in_a <= max_repeats) & (in_b <= max_repeats)
    flat, jb = _every_pairing(a, ka[multi], b, kb[multi], bases[row[multi]])
    return unique, flat, jb


def _where_in(values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """For each query, the index of the sorted, distinct `values` holding it if one does (else
    some valid index).

    A table of buckets on the hashes' top bits (4 buckets per value) finds most at once, and only
    queries in crowded buckets are binary searched: this lookup went from 0.13 to 0.07 CPU ms/doc
    of the ingest (a binary search per query mispredicts most of its ~10 branches).
    """
    bits = min(24, max(4, (4 * values.size - 1).bit_length()))
    shift = np.uint32(32 - bits)
    counts = np.bincount(values >> shift, minlength=1 << bits)
    bucket = (queries >> shift).astype(np.intp)  # take() with intp beats indexing with uint32
    at = (np.cumsum(counts) - counts).take(bucket)
    crowded = np.flatnonzero((counts > 1).take(bucket))
    at[crowded] = np.searchsorted(values, queries[crowded])
    return np.minimum(at, values.size - 1, out=at)


def _every_pairing(
    a: _Table, ka: np.ndarray, b: _Table, kb: np.ndarray, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(base + i, j) for every occurrence i in a and j in b of each repeated seed
    (a.values[ka] == b.values[kb]; `base`: where each one's row starts), a's occurrences outer."""
    in_a, in_b = a.runs[ka], b.runs[kb]
    pairs = in_a * in_b
    group = np.repeat(np.arange(ka.size), pairs)
    within = np.arange(group.size) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    step_a, step_b = np.divmod(within, in_b[group])
    ia = a.order[a.first[ka][group] + step_a]
    jb = b.order[b.first[kb][group] + step_b]
    return base[group] + ia, jb


class _Concatenated:
    """The candidates' tables end to end, with the candidate (row) each value belongs to; in
    each row values are sorted, so hits come out by row, then by position in a's table."""

    __slots__ = ("first", "order", "rows", "runs", "values")

    def __init__(self, bs: Sequence[SeedTable]) -> None:
        offsets = np.cumsum([0] + [b.order.size for b in bs])
        self.values = np.concatenate([b.values for b in bs])
        self.rows = np.repeat(np.arange(len(bs)), [b.values.size for b in bs])
        self.runs = np.concatenate([b.runs for b in bs])
        self.first = np.concatenate([b.first + offset for b, offset in zip(bs, offsets, strict=False)])
        self.order = np.concatenate([b.order for b in bs])


_Table = SeedTable | _Concatenated  # either side of a seed lookup: sorted values, runs, order


def _adopt_repeated(match: np.ndarray, flat: np.ndarray, jb: np.ndarray, bases: np.ndarray) -> None:
    """Fill `match` at seeds repeated in either text, with the occurrence that continues the
    diagonal of the nearest unique seed before (else after) it in the same row.

    Repeated seeds ("0000年", stock phrases) would otherwise cut reused stretches into pieces or
    flood the chaining with every pairing of their occurrences.
    """
    if flat.size == 0:
        return
    row, col = _split(flat, bases)
    diag = jb - col
    near = _nearest_anchors(match, flat, bases)
    # A row has an anchor iff the nearest one before or after each of its seeds lies in it: this
    # test, with the neighbours reused below, took adoption from 0.095 to 0.073 ms/doc.
    lonely = row if not near else row[(near[0][1] != row) & (near[1][1] != row)]
    if lonely.size:
        _anchor_rows(match, np.unique(lonely).tolist(), flat, jb, row, diag)
        near = _nearest_anchors(match, flat, bases)
    for anchor, anchor_row, anchor_col in near:
        fits = (anchor_row == row) & (diag == match[anchor] - anchor_col) & (match[flat] < 0)
        match[flat[fits]] = jb[fits]


def _split(flat: np.ndarray, bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row and the column within it of each flat position."""
    row = np.searchsorted(bases, flat, side="right") - 1
    return row, flat - bases[row]


def _nearest_anchors(
    match: np.ndarray, flat: np.ndarray, bases: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each seed in `flat`, the nearest unique seed before it (else the first one) and after
    it (else the last one), each with its row and column; none if there is no unique seed."""
    anchors = np.flatnonzero(match >= 0)
    if anchors.size == 0:
        return []
    at = np.searchsorted(anchors, flat)
    near = (anchors[np.maximum(at - 1, 0)], anchors[np.minimum(at, anchors.size - 1)])
    return [(anchor, *_split(anchor, bases)) for anchor in near]


def _anchor_rows(
    match: np.ndarray, rows: list[int], flat: np.ndarray, jb: np.ndarray, row: np.ndarray, diag: np.ndarray
) -> None:
    """Rows without a single unique seed (a text made of one repeated passage): the most common
    diagonal among each row's repeated seeds serves as its anchor."""
    for lonely in rows:
        mine = np.flatnonzero(row == lonely)
        values, counts = np.unique(diag[mine], return_counts=True)
        best = mine[diag[mine] == values[np.argmax(counts)]]
        match[flat[best]] = jb[best]


def _runs(match: np.ndarray, seed: int, bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions (bases[row] + i) and sizes of the exact blocks: runs of seeds along one
    diagonal within a row."""
    valid = match >= 0
    follows = np.zeros(match.size, dtype=bool)
    follows[1:] = valid[1:] & valid[:-1] & (match[1:] == match[:-1] + 1)
    row_starts = bases[:-1]
    follows[row_starts[row_starts < match.size]] = False
    starts = np.flatnonzero(valid & ~follows)
    continued = np.zeros(match.size, dtype=bool)
    continued[:-1] = follows[1:]
    ends = np.flatnonzero(valid & ~continued)
    return starts, ends - starts + seed


def _chainable(
    ia: np.ndarray, jb: np.ndarray, sizes: np.ndarray, config: AlignConfig
) -> np.ndarray:
    """Blocks long enough alone, or with a neighbour (in `a` order) worth chaining with.

    Most blocks between unrelated texts are lone 5-8 character stock phrases; a block is kept
    if it forms a positive-scoring pair with a nearby block, which keeps the chaining loop small.
    """
    keep = sizes >= config.min_span
    for k in range(1, min(config.lookback, ia.size - 1) + 1):
        gap_a = ia[k:] - ia[:-k] - sizes[:-k]
        gap_b = jb[k:] - jb[:-k] - sizes[:-k]
        gaps = np.maximum(gap_a, 0) + np.maximum(gap_b, 0)
        near = (
            (gap_a <= config.max_gap)
            & (gap_b <= config.max_gap)
            & (jb[k:] > jb[:-k])
            & (gap_a + sizes[k:] > 0)
            & (gap_b + sizes[k:] > 0)
            & (sizes[:-k] + sizes[k:] > config.penalty * gaps)
        )
        keep[:-k] |= near
        keep[k:] |= near
    return keep


def _kept(blocks: Blocks, config: AlignConfig) -> list[Chain]:
    """Smith-Waterman over blocks: best-scoring chains first, each block used at most once; the
    chains long and similar enough, by `a` then `b` offset."""
    score, pred, trim = _chain_scores(blocks, config)
    used = [False] * len(score)
    kept: list[Chain] = []
    sizes, min_span = blocks.size, config.min_span
    # reverse=True keeps ties in block order, as sorting by -score did.
    for end in sorted(range(len(score)), key=score.__getitem__, reverse=True):
        if used[end]:
            continue
        if pred[end] < 0 and sizes[end] < min_span:  # a lone short block (most of them): no chain
            used[end] = True
            continue
        chain = _chain(blocks, _trace_back(pred, used, end), trim, config)
        if chain is not None:
            kept.append(chain)
    return sorted(kept, key=lambda c: (c.a_start, c.b_start))


def _chain(blocks: Blocks, path: list[int], trim: list[int], config: AlignConfig) -> Chain | None:
    """The chain through these blocks if it is long and similar enough; its extent is checked
    before any Block is made (about half the chains are a lone short seed, dropped)."""
    first, last = path[0], path[-1]
    a_start, b_start = blocks.a[first], blocks.b[first]
    a_end, b_end = blocks.a[last] + blocks.size[last], blocks.b[last] + blocks.size[last]
    if min(a_end - a_start, b_end - b_start) < config.min_span:
        return None
    # The first block keeps its full size: a trim only makes room for a predecessor in the chain.
    parts = [Block(a_start, b_start, blocks.size[first])]
    parts.extend(_trimmed(blocks, t, trim[t]) for t in path[1:])
    matched = sum(block.size for block in parts)
    chain = Chain(tuple(parts), a_start, a_end, b_start, b_end, matched)
    return chain if chain.similarity >= config.threshold else None


def _chain_scores(blocks: Blocks, config: AlignConfig) -> tuple[list[float], list[int], list[int]]:
    """Per block: best chain score ending there, its predecessor (-1: none), and overlap trimmed."""
    starts_a, starts_b, sizes = blocks
    ends_a = [a + n for a, n in zip(starts_a, sizes, strict=True)]
    ends_b = [b + n for b, n in zip(starts_b, sizes, strict=True)]
    score: list[float] = []
    pred: list[int] = []
    trim: list[int] = []
    penalty, max_gap, lookback = config.penalty, config.max_gap, config.lookback
    # The hot loop of alignment: plain comparisons instead of max() calls on purpose.
    for t in range(len(sizes)):
        a, b, size = starts_a[t], starts_b[t], sizes[t]
        best, best_pred, best_trim = float(size), -1, 0
        for s in range(t - 1, max(-1, t - 1 - lookback), -1):
            end_a, end_b = ends_a[s], ends_b[s]
            over = end_a - a if end_a - a > end_b - b else end_b - b
            if over < 0:
                over = 0
            elif over >= size:
                continue
            gap_a, gap_b = a + over - end_a, b + over - end_b
            if gap_a > max_gap or gap_b > max_gap:
                continue
            value = score[s] - penalty * (gap_a + gap_b) + size - over
            if value > best:
                best, best_pred, best_trim = value, s, over
        score.append(best)
        pred.append(best_pred)
        trim.append(best_trim)
    return score, pred, trim


def _trace_back(pred: list[int], used: list[bool], end: int) -> list[int]:
    """Blocks of the chain ending at `end`, in order, stopping before any block an earlier chain
    took."""
    path: list[int] = []
    t = end
    while t >= 0 and not used[t]:
        used[t] = True
        path.append(t)
        t = pred[t]
    path.reverse()
    return path


def _trimmed(blocks: Blocks, t: int, over: int) -> Block:
    return Block(blocks.a[t] + over, blocks.b[t] + over, blocks.size[t] - over)


def _to_display(chain: Chain, a: SeedTable, b: SeedTable) -> Alignment:
    a_at, b_at = a.key_offsets, b.key_offsets
    return Alignment(
        a_at[a.key_position(chain.a_start)],
        a_at[a.key_position(chain.a_end) - 1] + 1,
        b_at[b.key_position(chain.b_start)],
        b_at[b.key_position(chain.b_end) - 1] + 1,
        round(chain.similarity, 4),
    )
