"""What decides which aligned pairs count (dedup.pair_rule), kept in Redis as documents come and go.

Per document (`P:links:{A}-{R}:` + ..., R the rank keys' encoding: dedup.pair_rule.RANK_VERSION):
    n:{id}   zset   its neighbours (pairs passing the cluster edge rule), by rank key
                    (dedup.pair_rule.rank_key: members sort as `Witness.rank`, ties by doc id;
                    each its document's record's `RANK_FIELD`)

and in 4,096 buckets (`P:links:{A}:w-b2:{bucket}`: workers.stores.key_buckets), a document a field:
    {id}     packed other doc id -> passage fingerprints they share that count (held by at most
                    `SharingRule.max_docs` documents); only pairs sharing at least `min_shared`.
                    Written by passage_add.lua (passage_final.lua on a cluster), which also lowers
                    them when a fingerprint passes the cap (its holders' pairs stop counting it).

A document's arrival adds its neighbours (links_add.lua) and learns, in the same script, which
of them to align with now: those among its earliest. A neighbour that has it among its earliest
is marked pending (`P:links:{A}-{R}:pending`), and so is one whose earliest lost a member that left;
workers.flow.relink aligns a pending document with its earliest neighbours when the ingest queue
drains and before an export. Every read (`kept`) evaluates the rule on what is stored now, so
the pairs provenance uses do not depend on the order the documents came in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis.typing import EncodableT

from archive.keys import Keys
from dedup.pair_rule import RANK_VERSION, LinkRule, rank_key, ranked_id
from dedup.provenance import Witness
from workers.redis.direct_connection import Call, Command, LuaScript
from workers.redis.slot_routing import RedisClient
from workers.stores.key_buckets import PRELUDES, bucket_key, layout_base, unpack
from workers.stores.replies import text_of
from workers.stores.union_find_layout import LUA as UNION_FIND_LUA

Near = tuple[tuple[str, str], ...]  # (neighbour doc id, signature digest it was verified against)

# The record field holding the document's rank key (workers.stores.store), named with the keys'
# encoding: a record written with another one is left out until it is saved again (`reindex`).
RANK_FIELD = f"rank-{RANK_VERSION}"


class PairLinks:
    def __init__(
        self,
        connection: RedisClient,
        keys: Keys,
        align_version: str,
        rule: LinkRule,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.rule = rule
        self.base = f"{keys.links(align_version)}-{RANK_VERSION}"
        self.weights = weights_base(keys, align_version)
        self._add = LuaScript(connection, "links_add.lua", UNION_FIND_LUA)
        self._remove = LuaScript(connection, "links_remove.lua", *PRELUDES)
        self._settled = LuaScript(connection, "links_settled.lua")

    @property
    def pending_key(self) -> str:
        """The pending set; also the key the scripts (which build their key names) are sent by."""
        return f"{self.base}:pending"

    def add_call(self, signatures: str, doc_id: str, digest: str, near: Near) -> Call[list[str] | None]:
        """Record the document's neighbours (`signatures`: the union-find's digest hash, in
        buckets, which the sides must still match); reply: those among its earliest, to align it with now
        (the neighbours that have it among theirs are pending: workers.flow.relink). None if the
        document itself changed meanwhile."""
        args: list[EncodableT] = [self.base, self.rule.neighbours, signatures, self.keys.doc(""), RANK_FIELD]
        args += [doc_id, digest]
        for other, other_digest in near:
            args += [other, other_digest]
        return self._add.call((self.pending_key,), args, _ids)

    def remove(self, witness: Witness) -> int:
        """Forget the document's neighbours and pair weights (both sides); a neighbour that had
        it among its earliest is pending (another one took its place); returns how many."""
        args: list[EncodableT] = [self.base, witness.doc_id, rank_key(witness), self.rule.neighbours]
        args.append(self.weights)
        return int(self._remove(keys=[self.pending_key], args=args))

    def pending(self, count: int) -> list[tuple[str, str]]:
        """Up to `count` documents whose earliest neighbours may hold a pair never aligned,
        oldest first, each with its pending score (a counter's value: what `settled` checks)."""
        found: Any = self.connection.zrange(self.pending_key, 0, count - 1, withscores=True)
        return [(text_of(member), str(int(score))) for member, score in found]

    def settled(self, taken: Sequence[tuple[str, str]]) -> int:
        """Taken documents done, unless pending again since (links_settled.lua); how many."""
        flat = [value for pair in taken for value in pair]
        return int(self._settled(keys=[self.pending_key], args=[self.base, *flat])) if taken else 0

    def nearest(self, doc_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each document's earliest neighbours (`rule.neighbours` of them), earliest first."""
        pipe = self.connection.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.zrange(f"{self.base}:n:{doc_id}", 0, self.rule.neighbours - 1)
        found = pipe.execute() if doc_ids else []
        return {d: [ranked_id(text_of(m)) for m in raw] for d, raw in zip(doc_ids, found, strict=True)}

    def kept_call(self, aligned: Mapping[str, Sequence[str]]) -> Call[dict[str, set[str]]]:
        """For each document, those of its aligned others the rule links it with now (to be
        sent with other calls: a list page's column costs no round trip of its own)."""
        docs = list(aligned)
        others = sorted({o for found in aligned.values() for o in found} | set(docs))
        commands: list[Command] = [("HGET", bucket_key(self.weights, d), d) for d in docs]
        commands += [("ZRANGE", f"{self.base}:n:{d}", 0, self.rule.neighbours - 1) for d in others]

        def parse(replies: list[Any]) -> dict[str, set[str]]:
            counted = zip(docs, replies[: len(docs)], strict=True)
            weights = {d: _weights(raw) for d, raw in counted}
            ranked = zip(others, replies[len(docs) :], strict=True)
            nearest = {d: {ranked_id(text_of(m)) for m in raw} for d, raw in ranked}
            return {
                d: self.rule.linked(found, weights[d], nearest[d], {o for o in found if d in nearest[o]})
                for d, found in aligned.items()
            }

        return Call(tuple(commands), parse)


def weights_base(keys: Keys, align_version: str) -> str:
    """The base of the pair weights' buckets, which passage_add.lua (passage_final.lua) writes."""
    return layout_base(f"{keys.links(align_version)}:w")


def pair_weights(connection: RedisClient, weights: str, doc_id: str) -> dict[str, int]:
    """A document's pair weights (`weights`: their base), by other doc id."""
    return _weights(connection.hget(bucket_key(weights, doc_id), doc_id))


def _weights(packed: Any) -> dict[str, int]:
    return {other: int(n) for other, n in unpack(text_of(packed)).items()}


def _ids(reply: Any) -> list[str] | None:
    return None if reply is None else [text_of(value) for value in reply]


