"""Pure cluster logic: representatives, assignments, a batch clusterer, pairwise quality."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from dedup.fingerprint import Fingerprint
from dedup.lsh import DEFAULT_PARAMS, Candidate, LSHIndex, LSHParams, MemoryLSHIndex
from dedup.union_find import UnionFind
from dedup.verify import DEFAULT_RULE, Edge, EdgeRule, compact, unpack, verify


@dataclass(frozen=True, slots=True)
class Member:
    doc_id: str
    published: date | None
    display_length: int


@dataclass(frozen=True, slots=True)
class ClusterAssignment:
    """Where a document landed: its cluster, the verified edges, and every candidate checked."""

    doc_id: str
    cluster_id: str
    edges: tuple[Edge, ...]
    candidates: tuple[str, ...]
    fingerprint_id: str
    exact_of: str | None = None  # the first document with the same match key, if not this one
    orphaned: bool = False  # that first document was gone by the merge: the edge was not made


def rank(member: Member) -> tuple[int, int, str]:
    """Sort key of representatives: earliest published (unknown last), longest text, smallest id.
    The authoritative rule; workers/stores/cluster_rules.lua `better` is its copy in the Redis scripts."""
    day = member.published.toordinal() if member.published else date.max.toordinal()
    return (day, -member.display_length, member.doc_id)


def representative(members: Iterable[Member]) -> Member:
    return min(members, key=rank)


def cluster_id(fingerprint_id: str, member_ids: Iterable[str]) -> str:
    """A cluster's id: named after its smallest member id, so the same members give the same id
    whatever order they came in (cluster_rules.lua `cluster_id` is the Redis scripts' copy)."""
    first = min(member_ids)
    digest = hashlib.sha1(f"{fingerprint_id}|{first}".encode(), usedforsecurity=False).hexdigest()
    return "c" + digest[:16]


def verify_candidates(
    fp: Fingerprint, candidates: Iterable[Candidate], rule: EdgeRule
) -> list[Edge]:
    """Edges from `fp` to those candidates (lsh.Candidate) that pass the rule."""
    own = (fp.doc_id, unpack(compact(fp.values())), fp.shingle_count)
    edges = (
        verify(own, (c.doc_id, unpack(c.signature), c.shingle_count), rule) for c in candidates
    )
    return [e for e in edges if e is not None]


class MemoryClusterer:
    """Index → verify → union, in process: the Redis ClusterStore's logic for batch runs."""

    def __init__(
        self,
        fingerprint_id: str,
        params: LSHParams = DEFAULT_PARAMS,
        rule: EdgeRule = DEFAULT_RULE,
        index: LSHIndex | None = None,
    ) -> None:
        self.index = index or MemoryLSHIndex(fingerprint_id, params)
        self.rule = rule
        self.sets = UnionFind()
        self.members: dict[str, Member] = {}
        self.by_key: dict[str, str] = {}
        self.edges: list[Edge] = []

    def assign(
        self, fp: Fingerprint, published: date | None, display_length: int
    ) -> ClusterAssignment:
        self.members[fp.doc_id] = Member(fp.doc_id, published, display_length)
        first = self.by_key.setdefault(fp.key_hash, fp.doc_id)
        candidates = self.index.add(fp)  # an exact copy too: it is found if its first goes
        if first != fp.doc_id:
            edge = Edge(fp.doc_id, first, 1.0, 1.0, "exact")
            self.edges.append(edge)
            self.sets.union(fp.doc_id, first)
            return ClusterAssignment(
                fp.doc_id, self.sets.find(fp.doc_id), (edge,), (first,), fp.fingerprint_id, first
            )
        edges = verify_candidates(fp, candidates, self.rule)
        self.sets.add(fp.doc_id)
        for edge in edges:
            self.sets.union(edge.a, edge.b)
        self.edges.extend(edges)
        return ClusterAssignment(
            fp.doc_id,
            self.sets.find(fp.doc_id),
            tuple(edges),
            tuple(c.doc_id for c in candidates),
            fp.fingerprint_id,
        )

    def labels(self) -> dict[str, str]:
        return {doc: self.sets.find(doc) for doc in self.members}


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def pairwise_scores(
    predicted: Mapping[str, str], truth: Mapping[str, str | None]
) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against labels (None = a singleton)."""
    docs = [d for d in truth if d in predicted]
    both = Counter((predicted[d], truth[d]) for d in docs if truth[d] is not None)
    tp = _pairs(both.values())
    pred = _pairs(Counter(predicted[d] for d in docs).values())
    true = _pairs(Counter(truth[d] for d in docs if truth[d] is not None).values())
    return (tp / pred if pred else 1.0), (tp / true if true else 1.0)
