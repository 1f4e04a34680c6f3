"""What decides which aligned pairs count (dedup.pair_rule), kept in Redis as documents come and go.

Per document (`P:links:{A}:` + ...):
    n:{id}   zset   its neighbours (pairs passing the cluster edge rule), by rank key
                    (dedup.pair_rule.rank_key: members sort as `Witness.rank`, ties by doc id)
    w:{id}   hash   other doc id -> passage fingerprints they share that count (held by at most
                    `SharingRule.max_docs` documents); only pairs sharing at least `min_shared`.
                    Written by passage_add.lua, which also lowers them when a fingerprint passes
                    the cap (its holders' pairs stop counting it).

A document's arrival adds its neighbours (links_add.lua) and learns, in the same script, which
of them to align with now; every read (`kept`) evaluates the rule on what is stored now, so the
pairs provenance uses do not depend on the order the documents came in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis
from redis.typing import EncodableT

from dedup.align import DEFAULT_ALIGN
from dedup.pair_rule import DEFAULT_LINKS, LinkRule, rank_key, ranked_id
from dedup.provenance import Witness
from workers.direct_connection import Call, LuaScript
from workers.keys import Keys

Near = tuple[tuple[str, str], ...]  # (neighbour doc id, signature digest it was verified against)


class PairLinks:
    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        align_version: str = DEFAULT_ALIGN.version,
        rule: LinkRule = DEFAULT_LINKS,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.rule = rule
        self.base = keys.links(align_version)
        self.weights = weights_prefix(keys, align_version)
        self._add = LuaScript(connection, "links_add.lua")
        self._remove = LuaScript(connection, "links_remove.lua")

    def add_call(self, signatures: str, doc_id: str, digest: str, near: Near) -> Call[list[str] | None]:
        """Record the document's neighbours (`signatures`: the union-find's digest hash, which
        the sides must still match); reply: the neighbours to align it with now, by the rule
        judged on the neighbours present (a superset of those it holds once all are in).
        None if the document itself changed meanwhile."""
        args: list[EncodableT] = [self.base, self.rule.neighbours, signatures, self.keys.doc("")]
        args += [doc_id, digest]
        for other, other_digest in near:
            args += [other, other_digest]
        return self._add.call((), args, _ids)

    def remove(self, witness: Witness) -> list[tuple[str, str]]:
        """Forget the document's neighbours and pair weights (both sides); returns the pairs it
        leaves linked by the neighbour rule: each neighbour that had it among its earliest,
        with the one that takes its place there (maybe never aligned: workers.relink)."""
        flat = _ids(self._remove(args=[self.base, witness.doc_id, rank_key(witness), self.rule.neighbours]))
        return [(flat[i], flat[i + 1]) for i in range(0, len(flat or ()), 2)] if flat else []

    def kept(self, aligned: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
        """For each document, those of its aligned others the rule links it with now."""
        docs = list(aligned)
        others = sorted({o for found in aligned.values() for o in found} | set(docs))
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in docs:
            pipe.hgetall(f"{self.weights}{doc_id}")
        for doc_id in others:
            pipe.zrange(f"{self.base}:n:{doc_id}", 0, self.rule.neighbours - 1)
        replies = pipe.execute()
        counted = zip(docs, replies[: len(docs)], strict=True)
        weights = {d: {_text(k): int(v) for k, v in raw.items()} for d, raw in counted}
        ranked = zip(others, replies[len(docs) :], strict=True)
        nearest = {d: {ranked_id(_text(m)) for m in raw} for d, raw in ranked}
        return {
            d: self.rule.linked(found, weights[d], nearest[d], {o for o in found if d in nearest[o]})
            for d, found in aligned.items()
        }


def weights_prefix(keys: Keys, align_version: str = DEFAULT_ALIGN.version) -> str:
    """The pair weights' key prefix (+ doc id), which passage_add.lua writes."""
    return f"{keys.links(align_version)}:w:"


def _ids(reply: Any) -> list[str] | None:
    return None if reply is None else [_text(value) for value in reply]


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
