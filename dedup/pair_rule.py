"""Which aligned pairs provenance uses: a rule on the documents present, whatever their order.

Two documents are linked when
- (passages) they share at least `min_shared` winnowed fingerprints held by at most
  `SharingRule.max_docs` documents, or
- (neighbours) they pass the cluster edge rule and one is among the other's `neighbours`
  earliest such neighbours (by `Witness.rank`).

Both caps bound the work (a template reposted 1,000 times costs ~`neighbours` alignments a copy,
not 1,000). As documents arrive, a fingerprint's holders and a document's neighbours only grow,
so what a document would be linked with, judged when it arrives, is a superset of what it is
linked with once every document is in: the ingest aligns that superset, and the read side keeps
the pairs the rule holds for now (workers.stores.pair_links keeps what it needs to judge).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dedup.errors import ConfigError
from dedup.provenance import Witness
from dedup.winnow import DEFAULT_SHARING


@dataclass(frozen=True, slots=True)
class LinkRule:
    min_shared: int = DEFAULT_SHARING.min_shared
    neighbours: int = 20

    def __post_init__(self) -> None:
        if self.min_shared < 1 or self.neighbours < 1:
            got = f"{self.min_shared}/{self.neighbours}"
            raise ConfigError(f"min_shared and neighbours must be >= 1, got {got}")

    def linked(
        self,
        others: Iterable[str],
        shared: Mapping[str, int],
        nearest: Collection[str],
        nearest_of: Collection[str],
    ) -> set[str]:
        """Of `others`, those linked with the document: sharing enough passage fingerprints
        (`shared`), among its earliest neighbours (`nearest`), or having it among theirs
        (`nearest_of`)."""
        return {o for o in others if shared.get(o, 0) >= self.min_shared or o in nearest or o in nearest_of}


DEFAULT_LINKS = LinkRule()


# Names rank_key's encoding in the keys and fields that hold it (workers.stores.pair_links): change
# it with the encoding, so that keys which sort another way are never mixed in (r1: ISO dates).
RANK_VERSION = "r2"
_DIGITS = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"  # ascending in ASCII, no '|'
_MICROSECOND = timedelta(microseconds=1)


def rank_key(witness: Witness) -> str:
    """`Witness.rank` as a string that sorts the same way (a Redis sorted set's member, ordered
    by ZRANGE's lexicographic tie rule): the day's ordinal in 4 digits of base 64 and the capture
    time in 10 (microseconds since 0001-01-01), fixed width, then `|` and the doc id. 35 bytes for
    a 20-character id, where ISO dates took 58 (issue 21: each is a member of every neighbour's
    set, and a field of the document's record)."""
    (day, fetched), doc_id = witness.rank
    return f"{_digits(day.toordinal(), 4)}{_digits((fetched - datetime.min) // _MICROSECOND, 10)}|{doc_id}"


def ranked_id(key: str) -> str:
    """The doc id a `rank_key` ends with: all after the first `|` (links_remove.lua's copy)."""
    return key.partition("|")[2]


def _digits(number: int, width: int) -> str:
    """`number` (below 64 ** width) in `width` base-64 digits that sort as the numbers do."""
    out = []
    for _ in range(width):
        number, digit = divmod(number, 64)
        out.append(_DIGITS[digit])
    return "".join(reversed(out))
