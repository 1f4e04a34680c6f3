"""Clusters in Redis: index add (insert+query) → verify → atomic union of verified edges.

`ClusterStore.assign` does it for one fingerprinted document (the ingest job sends its steps'
calls with other stores' calls, in fewer round trips); it is idempotent (a re-run changes
nothing) and safe with many workers on one Redis. Union-find and cluster records change only
inside Lua scripts (cluster_merge.lua, cluster_remove.lua, which share cluster_rules.lua), so
a merge or a split is never half-applied or applied twice; the union-find's hashes are each in
4,096 buckets (workers.stores.union_find_layout: the compact encoding up to millions of documents).
A cluster is named after its smallest member (dedup.clusters.cluster_id), so the same members give
the same id in any ingest order; an id that no longer names a live cluster (absorbed, renamed or
split) keeps `merged_into`, the way to the cluster its members went to. A cluster's size is its
member count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis.typing import EncodableT

from archive.keys import Keys
from dedup.clusters import ClusterAssignment, verify_candidates
from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprint
from dedup.lsh import Candidate, LSHParams
from dedup.verify import Edge, EdgeRule, compact
from workers.errors import ConcurrentChange
from workers.redis.direct_connection import Call, LuaScript, run_call
from workers.redis.slot_routing import RedisClient
from workers.stores.lsh_index import RedisLSHIndex
from workers.stores.replies import text_of, text_or_none
from workers.stores.union_find_layout import LUA, UNION_FIND_LAYOUT, bucket_key

UNKNOWN_DAY = 99999999  # sorts after every real date ordinal: unknown dates never represent
RULES = "cluster_rules.lua"  # the representative and cluster id rules, shared by the scripts


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """The engine parameters of a cluster store (workers.stores.store_set.cluster_config builds it)."""

    fingerprint_id: str
    lsh: LSHParams
    rule: EdgeRule
    num_perm: int
    lsh_groups: int = 1  # (workers.engine.EngineConfig.lsh_groups)


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    cluster_id: str
    size: int
    representative: str
    representative_published: date | None
    fingerprint_id: str
    representative_length: int = 0  # display characters


@dataclass(frozen=True, slots=True)
class Verified:
    """A document's edges before its clusters merge; `exact`: the document it duplicates.
    `digest` and `digests` (one per edge): the signatures the edges were verified with, which
    the merge checks against the ones claimed now (a peer's text may have changed since)."""

    doc_id: str
    edges: tuple[Edge, ...]
    candidates: tuple[str, ...]
    exact: str | None
    digest: str = ""
    digests: tuple[str, ...] = ()
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True, slots=True)
class ClusterMember:
    doc_id: str
    published: date | None
    display_length: int
    edges: tuple[Edge, ...]  # the verified edges touching this member


@dataclass(frozen=True, slots=True)
class ClusterOutline:
    """A cluster for a list: its record, and its members' ids with their publication dates."""

    info: ClusterInfo
    members: tuple[tuple[str, date | None], ...]


class ClusterStore:
    def __init__(self, connection: RedisClient, keys: Keys, config: ClusterConfig) -> None:
        self.connection = connection
        self.keys = keys
        self.config = config
        self.index = RedisLSHIndex(
            connection, keys, config.fingerprint_id, config.lsh, config.num_perm, groups=config.lsh_groups
        )
        # the layout's name: a union-find of another layout is never read (reindex rebuilds it)
        self.base = f"{keys.union_find(config.fingerprint_id)}-{UNION_FIND_LAYOUT}"
        self._claim = LuaScript(connection, "cluster_claim.lua")
        self._merge = LuaScript(connection, "cluster_merge.lua", RULES, LUA)
        self._remove = LuaScript(connection, "cluster_remove.lua", RULES, LUA)

    @property
    def signatures(self) -> str:
        """The hash of each indexed document's signature digest (see `claim_call`), in buckets."""
        return f"{self.base}:sg"

    def key(self, hash_name: str, field: str) -> str:
        """The bucket of the union-find's hash `hash_name` (p, cid, sg, dk, kh) holding `field`."""
        return bucket_key(f"{self.base}:{hash_name}", field)

    def _routing(self) -> tuple[str]:
        """The key a script that builds its key names is sent by (on a cluster: to its slot)."""
        return (f"{self.base}:p",)

    def _context(self) -> list[str]:
        return [self.base, self.keys.cluster(""), self.keys.clusters, self.config.fingerprint_id]

    def assign(self, fp: Fingerprint, published: date | None, display_length: int) -> ClusterAssignment:
        """Index the document, verify its candidates, merge its clusters; idempotent. A document
        indexed with another text is removed first."""
        first = self.first_claimed(fp, run_call(self.connection, self.claim_call(fp)))
        verified = self.verify(fp, first, self.index.add(fp))
        assignment = run_call(self.connection, self.merge_call(verified, published, display_length))
        return self.settle(assignment, verified, published, display_length)

    def settle(
        self, assignment: ClusterAssignment, verified: Verified, published: date | None, display_length: int
    ) -> ClusterAssignment:
        """An exact copy whose first document was forgotten before its merge claims the match
        key again (it may be the first now) and is clustered as such: else it would stay out of
        the LSH index, alone."""
        for _ in range(8):
            fp = verified.fingerprint
            if not assignment.orphaned or fp is None:
                return assignment
            first = claimed(run_call(self.connection, self.claim_call(fp)), fp.doc_id)
            verified = self.verify(fp, first, self.index.add(fp))
            assignment = run_call(self.connection, self.merge_call(verified, published, display_length))
        raise ConcurrentChange(f"{verified.doc_id}: its match key kept changing hands")

    # `assign` in steps, whose calls the ingest sends with other stores' calls

    def claim_call(self, fp: Fingerprint, record: str = "") -> Call[str | None]:
        """The first document with this match key (atomically claimed): when it is another,
        this one is its exact duplicate, whose one edge is to that first. None while the document holds
        another match key (its old text, which `remove` forgets), or when `record` (the key of
        its stored record, saved in the same round trip) does not hold this key."""
        if fp.fingerprint_id != self.config.fingerprint_id:
            raise ConfigError(f"store {self.config.fingerprint_id} cannot take {fp.fingerprint_id}")
        doc_id, record_keys = fp.doc_id, [record] if record else []
        keys = (self.key("kh", fp.key_hash), self.key("dk", doc_id), self.key("sg", doc_id), *record_keys)
        args = (fp.key_hash, fp.doc_id, signature_digest(compact(fp.values())))
        return self._claim.call(keys, args, text_or_none)

    def first_claimed(self, fp: Fingerprint, reply: str | None, record: str = "") -> str:
        """The first document with the match key, from the reply of `claim_call(fp, record)`
        (the ingest sends it with the save): None, the document still holds the key of an old
        text, whose claim is forgotten (`remove`) before it claims once more."""
        if reply is not None:
            return reply
        self.remove(fp.doc_id)
        return claimed(run_call(self.connection, self.claim_call(fp, record)), fp.doc_id)

    def verify(self, fp: Fingerprint, first: str, found: Sequence[Candidate]) -> Verified:
        """The edges to keep: to the first document with the match key (an exact copy has no
        other), or to the index's candidates (`found`) that pass the rule."""
        own = signature_digest(compact(fp.values()))
        if first != fp.doc_id:
            edge = Edge(fp.doc_id, first, 1.0, 1.0, "exact")
            return Verified(fp.doc_id, (edge,), (first,), first, own, (own,), fp)
        edges = tuple(verify_candidates(fp, found, self.config.rule))
        seen = {c.doc_id: signature_digest(c.signature) for c in found}
        digests = tuple(seen[e.b] for e in edges)
        return Verified(fp.doc_id, edges, tuple(c.doc_id for c in found), None, own, digests, fp)

    def neighbours(self, verified: Verified, found: Sequence[Candidate]) -> tuple[tuple[str, str], ...]:
        """The document's neighbours under the edge rule, with the digests of the signatures they
        were verified against: its edges, or, for an exact copy (whose one edge goes to whichever
        copy claimed the match key first), the index's candidates that pass the rule."""
        if verified.exact is None or verified.fingerprint is None:
            return tuple((e.b, d) for e, d in zip(verified.edges, verified.digests, strict=True))
        seen = {c.doc_id: signature_digest(c.signature) for c in found}
        edges = verify_candidates(verified.fingerprint, found, self.config.rule)
        return tuple((e.b, seen[e.b]) for e in edges)

    def merge_call(
        self, verified: Verified, published: date | None, display_length: int
    ) -> Call[ClusterAssignment]:
        doc_id = verified.doc_id
        args: list[EncodableT] = [*self._context(), doc_id, _day(published), display_length, verified.digest]
        for edge, digest in zip(verified.edges, verified.digests, strict=True):
            args.extend((edge.b, edge.jaccard, edge.containment, edge.kind, digest))
        fingerprint_id = self.config.fingerprint_id

        def parse(reply: Any) -> ClusterAssignment:
            if reply is None:
                raise ConcurrentChange(f"{doc_id} was forgotten while it was being clustered")
            cid, orphaned = text_of(reply[0]), bool(reply[1])
            edges, candidates, exact = verified.edges, verified.candidates, verified.exact
            return ClusterAssignment(doc_id, cid, edges, candidates, fingerprint_id, exact, orphaned)

        return self._merge.call(self._routing(), args, parse)

    def remove(self, doc_id: str) -> bool:
        """Forget a document (its text changed or it is gone): its claim, its cluster (split
        into the components of the edges left) and its LSH entry. When it held the match key of
        exact copies, the smallest copy takes its place and its edges (every document is in the
        LSH index, so nothing else has to move). True if it was indexed or clustered."""
        args = [*self._context(), doc_id, *self._changes()]
        clustered, _successor = self._remove(keys=self._routing(), args=args)
        indexed = self.index.remove(doc_id)
        return indexed or bool(clustered)

    def _changes(self) -> list[str]:
        return [self.keys.doc(""), self.keys.changes, self.keys.change_seq]

    def cluster_of(self, doc_id: str) -> str | None:
        node, parent = doc_id, self.connection.hget(self.key("p", doc_id), doc_id)
        if parent is None:
            return None
        while text_of(parent) != node:
            node = text_of(parent)
            parent = self.connection.hget(self.key("p", node), node)
        cid = self.connection.hget(self.key("cid", node), node)
        return None if cid is None else text_of(cid)

    def cluster(self, cluster_id: str) -> ClusterInfo | None:
        """The live cluster `cluster_id` is (or was merged into); None if unknown."""
        for _ in range(64):
            raw = self.connection.hgetall(self.keys.cluster(cluster_id))
            if not raw:
                return None
            record = {text_of(k): text_of(v) for k, v in raw.items()}
            if "merged_into" not in record:
                return _info(cluster_id, record)
            cluster_id = record["merged_into"]
        return None

    def outlines(self, cluster_ids: Sequence[str]) -> list[ClusterOutline | None]:
        """Each cluster's record and members' publication dates, without edges, in two round
        trips for all (a list page of every cluster); None for an unknown id."""
        pipe = self.connection.pipeline(transaction=False)
        for cluster_id in cluster_ids:
            pipe.hgetall(self.keys.cluster(cluster_id))
        infos = []
        for cluster_id, raw in zip(cluster_ids, pipe.execute(), strict=True):
            record = {text_of(k): text_of(v) for k, v in raw.items()}
            merged = not record or "merged_into" in record  # (merged meanwhile: followed alone)
            infos.append(self.cluster(cluster_id) if merged else _info(cluster_id, record))
        for info in infos:
            if info is not None:
                pipe.hgetall(f"{self.keys.cluster(info.cluster_id)}:m")
        metas = iter(pipe.execute())
        return [None if info is None else ClusterOutline(info, _dates(next(metas))) for info in infos]

    def members(self, cluster_id: str) -> list[ClusterMember]:
        info = self.cluster(cluster_id)
        if info is None:
            return []
        key = self.keys.cluster(info.cluster_id)
        meta = self.connection.hgetall(f"{key}:m")
        edges: dict[str, list[Edge]] = {}
        for pair, value in self.connection.hgetall(f"{key}:e").items():
            a, b = text_of(pair).split("|", 1)
            j, c, kind = text_of(value).split("|")
            edge = Edge(a, b, float(j), float(c), kind)
            edges.setdefault(a, []).append(edge)
            edges.setdefault(b, []).append(edge)
        out = []
        for name, value in sorted(meta.items()):
            doc = text_of(name)
            day, length = text_of(value).split("|")
            out.append(ClusterMember(doc, _date(day), int(length), tuple(edges.get(doc, ()))))
        return out

    def similarities(self, cluster_ids: Sequence[str]) -> list[tuple[float, float] | None]:
        """Each cluster's lowest and highest edge Jaccard (None: no edge), in one round trip."""
        pipe = self.connection.pipeline(transaction=False)
        for cluster_id in cluster_ids:
            pipe.hvals(f"{self.keys.cluster(cluster_id)}:e")
        out: list[tuple[float, float] | None] = []
        for values in pipe.execute() if cluster_ids else []:
            jaccards = [float(text_of(v).split("|", 1)[0]) for v in values]
            out.append((min(jaccards), max(jaccards)) if jaccards else None)
        return out

    def largest(self, count: int = 10) -> list[tuple[str, int]]:
        rows = self.connection.zrevrange(self.keys.clusters, 0, count - 1, withscores=True)
        return [(text_of(row[0]), int(row[1])) for row in rows]


def signature_digest(signature: bytes) -> str:
    """Names a compact signature: a merge takes an edge only to the text it was verified with."""
    return hashlib.sha1(signature, usedforsecurity=False).hexdigest()[:16]


def claimed(first: str | None, doc_id: str) -> str:
    """A claim made once the document's old text was forgotten: refused only if another worker
    indexed another text of it meanwhile."""
    if first is None:
        raise ConcurrentChange(f"{doc_id} was indexed with another text meanwhile")
    return first


def _info(cluster_id: str, record: dict[str, str]) -> ClusterInfo:
    return ClusterInfo(
        cluster_id,
        int(record["size"]),
        record["representative"],
        _date(record["rep_published"]),
        record["fingerprint_id"],
        int(record.get("rep_length") or 0),
    )


def _dates(meta: dict[Any, Any]) -> tuple[tuple[str, date | None], ...]:
    """Member ids and publication dates from a cluster's member hash (day|display length)."""
    return tuple(sorted((text_of(k), _date(text_of(v).split("|", 1)[0])) for k, v in meta.items()))


def _day(published: date | None) -> str:
    return str(published.toordinal()) if published else ""


def _date(day: str) -> date | None:
    value = int(day)
    return None if value >= UNKNOWN_DAY else date.fromordinal(value)
