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


def rank_key(witness: Witness) -> str:
    """`Witness.rank` as a string that sorts the same way (a Redis sorted set's member, ordered
    by ZRANGE's lexicographic tie rule), ending with the doc id."""
    (day, fetched), doc_id = witness.rank
    return f"{day.isoformat()}|{fetched.isoformat(timespec='microseconds')}|{doc_id}"


def ranked_id(key: str) -> str:
    """The doc id a `rank_key` ends with."""
    return key.rsplit("|", 1)[-1]
