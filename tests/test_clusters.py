"""Cluster logic (pure) and the Redis cluster store."""

from __future__ import annotations

import hashlib
from datetime import date

import redis

from archive.keys import Keys
from dedup import clusters as rules
from dedup.clusters import Member, MemoryClusterer, pairwise_scores, representative
from dedup.fingerprint import Fingerprint
from tests.engine_corpus import FP_ID, corpus, partition
from tests.engine_stack import cluster_config
from tests.redis_contents import contents
from workers.redis.direct_connection import run_call
from workers.stores import derived_state
from workers.stores.cluster_store import ClusterStore


def copy(fp: Fingerprint, doc_id: str, key_hash: str | None = None) -> Fingerprint:
    return Fingerprint(doc_id, fp.fingerprint_id, fp.signature, fp.shingle_count, key_hash or fp.key_hash)


def live(ours: ClusterStore, cluster_id: str) -> str | None:
    info = ours.cluster(cluster_id)
    return None if info is None else info.cluster_id


def store(connection: redis.Redis) -> ClusterStore:
    return ClusterStore(connection, Keys("t"), cluster_config(FP_ID))


def test_representative_is_earliest_then_longest_and_unknown_dates_last() -> None:
    a = Member("a", date(2020, 1, 2), 100)
    b = Member("b", date(2020, 1, 2), 300)
    c = Member("c", date(2021, 1, 1), 900)
    d = Member("d", None, 5000)
    assert representative([a, b, c, d]) == b
    assert representative([c, d]) == c
    assert representative([Member("y", None, 1), Member("x", None, 1)]).doc_id == "x"


def test_pairwise_scores() -> None:
    truth = {"a": "f", "b": "f", "c": "f", "d": None, "e": None}
    assert pairwise_scores({"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}, truth) == (1.0, 1.0)
    precision, recall = pairwise_scores({"a": "1", "b": "1", "c": "2", "d": "1", "e": "3"}, truth)
    assert (precision, recall) == (1 / 3, 1 / 3)


def test_redis_store_matches_the_batch_clusterer(redis_client: redis.Redis) -> None:
    docs = corpus()
    ours, reference = store(redis_client), MemoryClusterer(FP_ID)
    for doc, fp in docs:
        got = ours.assign(fp, doc.published, len(doc.text))
        want = reference.assign(fp, doc.published, len(doc.text))
        assert got.edges == want.edges and got.candidates == want.candidates
    labels = {doc.doc_id: ours.cluster_of(doc.doc_id) or "" for doc, _ in docs}
    assert partition(labels) == partition(reference.labels())
    truth = {doc.doc_id: doc.family for doc, _ in docs}
    precision, recall = pairwise_scores(labels, truth)
    assert precision >= 0.98 and recall >= 0.9


def test_the_union_find_is_in_small_compact_hashes_whatever_the_store_size(redis_client: redis.Redis) -> None:
    """Its hashes (parents, cluster ids, signature digests, match keys) hold a few fields each,
    in the compact encoding: one hash of each for the whole store grows with it, and past
    hash-max-ziplist-entries fields (a few thousand documents) Redis makes it a hash table of
    ~100 bytes a field (issue 21). Real ids (hex: workers.flow.ingest.document_id) after
    merges, exact copies and removals; the clusters are still the batch clusterer's."""
    ours, reference = store(redis_client), MemoryClusterer(FP_ID)
    docs = [(doc, copy(fp, _hex_id(doc.doc_id))) for doc, fp in corpus()]
    docs += [(doc, copy(fp, _hex_id(f"{doc.doc_id}/repost"))) for doc, fp in corpus()[:30]]  # same keys
    for doc, fp in docs:
        ours.assign(fp, doc.published, len(doc.text))
        reference.assign(fp, doc.published, len(doc.text))
    assert partition({fp.doc_id: ours.cluster_of(fp.doc_id) or "" for _, fp in docs}) == partition(
        reference.labels()
    )
    for _, fp in docs[::9]:
        assert ours.remove(fp.doc_id) and ours.cluster_of(fp.doc_id) is None
    keys = list(redis_client.scan_iter(match=f"{Keys('t').union_find(FP_ID)}*", count=1000))
    sizes = {key: redis_client.hlen(key) for key in keys}
    assert sum(sizes.values()) > 3 * len(docs)  # parents, digests, match keys both ways, roots
    assert {redis_client.object("encoding", key) for key in keys} <= {b"listpack", b"ziplist"}
    assert max(sizes.values()) <= 8, max(sizes.items(), key=lambda item: item[1])


def test_an_old_layout_union_find_is_not_read_and_a_rebuild_clears_it(redis_client: redis.Redis) -> None:
    """One hash each (before the buckets, issue 21): its layout has another name, so it is
    never half-read; `reindex` clears it (workers.stores.derived_state) before it rebuilds."""
    (_, fp), *_ = corpus()
    old = Keys("t").union_find(FP_ID)
    redis_client.hset(f"{old}:p", fp.doc_id, fp.doc_id)
    redis_client.hset(f"{old}:cid", fp.doc_id, "cold")
    redis_client.hset(f"{old}:kh", fp.key_hash, "older")
    ours = store(redis_client)
    assert ours.cluster_of(fp.doc_id) is None
    assert ours.assign(fp, None, 10).exact_of is None  # not an exact copy of the old layout's "older"
    assert derived_state.clear(redis_client, "t") and not list(redis_client.scan_iter(match=f"{old}:*"))


def _hex_id(name: str) -> str:
    return hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:20]  # as document_id names a URL


def test_cluster_records_are_consistent(redis_client: redis.Redis) -> None:
    docs = corpus()
    ours = store(redis_client)
    for doc, fp in docs:
        ours.assign(fp, doc.published, len(doc.text))
    by_id = {doc.doc_id: doc for doc, _ in docs}
    sizes = dict(ours.largest(10_000))
    assert sum(sizes.values()) == len(docs)
    for cluster_id, size in sizes.items():
        info = ours.cluster(cluster_id)
        members = ours.members(cluster_id)
        assert info is not None and info.size == size == len(members)
        assert all(ours.cluster_of(m.doc_id) == cluster_id for m in members)
        best = representative(Member(m.doc_id, m.published, m.display_length) for m in members)
        assert info.representative == best.doc_id
        if size > 1:
            assert all(m.edges for m in members)
            families = {by_id[m.doc_id].family for m in members}
            assert len(families) == 1 and by_id[info.representative].role == "template"


def test_an_exact_duplicate_is_linked_to_the_first_only_and_is_still_found(redis_client: redis.Redis) -> None:
    (doc, fp), _ = corpus()[:2]
    ours = store(redis_client)
    first = ours.assign(fp, doc.published, 100)
    dup = ours.assign(copy(fp, "dup"), date(2030, 1, 1), 100)
    assert dup.exact_of == fp.doc_id and dup.cluster_id == live(ours, first.cluster_id)
    assert [e.kind for e in dup.edges] == ["exact"]
    # in the LSH index too, so that it is found when the first goes
    assert {c.doc_id for c in ours.index.add(copy(fp, "probe", "other"))} == {fp.doc_id, "dup"}


def test_a_document_with_another_text_leaves_its_old_match_key(redis_client: redis.Redis) -> None:
    (_, fp), (_, other) = corpus()[:2]
    ours = store(redis_client)
    ours.assign(copy(fp, "a", "ka"), None, 10)
    changed = ours.assign(copy(other, "a", "kb"), None, 10)  # the page of "a" now holds another text
    assert changed.exact_of is None and changed.candidates == ()
    assert ours.assign(copy(fp, "c", "ka"), None, 10).exact_of is None  # "a" no longer holds ka
    assert ours.assign(copy(other, "d", "kb"), None, 10).exact_of == "a"


def test_assign_is_idempotent_and_ids_are_stable(redis_client: redis.Redis) -> None:
    (_doc, fp), _ = corpus()[:2]
    ours = store(redis_client)
    a = ours.assign(fp, date(2020, 1, 1), 100)
    b = ours.assign(copy(fp, "b", "kb"), date(2019, 1, 1), 100)  # joins a's cluster
    snapshot = contents(redis_client)
    assert ours.assign(copy(fp, "b", "kb"), date(2019, 1, 1), 100) == b
    assert ours.assign(fp, date(2020, 1, 1), 100).cluster_id == b.cluster_id
    assert live(ours, a.cluster_id) == b.cluster_id  # a's first id now points to the merged one
    assert contents(redis_client) == snapshot
    info = ours.cluster(a.cluster_id)
    assert info is not None and info.size == 2 and info.representative == "b"


def test_merge_keeps_the_smallest_members_id_and_points_the_other_to_it(redis_client: redis.Redis) -> None:
    (_, fp), (_, other) = corpus()[:2]
    ours = store(redis_client)
    ids = [ours.assign(copy(fp, f"a{i}", f"ka{i}"), None, 10).cluster_id for i in range(3)]
    big = [live(ours, cid) for cid in ids]
    small = ours.assign(copy(other, "s", "ks"), None, 10).cluster_id
    assert len(set(big)) == 1 and small != big[0]
    # a bridge document similar to both (same signature halves would be artificial): link by hand
    digest = _digests(redis_client, ours, "s", "a0")
    ours._merge(args=[*ours._context(), "s", "", 10, digest["s"], "a0", 0.6, 0.7, "similar", digest["a0"]])
    assert ours.cluster_of("s") == big[0]
    moved = ours.cluster(small)
    assert moved is not None and moved.cluster_id == big[0] and moved.size == 4


def _digests(client: redis.Redis, ours: ClusterStore, *doc_ids: str) -> dict[str, str]:
    """The documents' claimed signature digests, which a merge checks its edges against."""
    return {d: client.hget(ours.key("sg", d), d).decode() for d in doc_ids}  # type: ignore[union-attr]


def test_remove_splits_a_cluster_that_a_document_bridged(redis_client: redis.Redis) -> None:
    (_, fp), (_, other) = corpus()[:2]
    ours = store(redis_client)
    ours.assign(copy(fp, "a", "ka"), None, 10)
    ours.assign(copy(fp, "a2", "ka2"), None, 10)
    ours.assign(copy(other, "b", "kb"), None, 10)
    redis_client.hset(ours.key("dk", "bridge"), "bridge", "kbridge")  # its claim, as assign makes it
    redis_client.hset(ours.key("sg", "bridge"), "bridge", "sbridge")
    digest = _digests(redis_client, ours, "a", "b")
    edges = ["a", 0.6, 0.7, "similar", digest["a"], "b", 0.6, 0.7, "similar", digest["b"]]
    ours._merge(args=[*ours._context(), "bridge", "", 10, "sbridge", *edges])
    assert ours.cluster_of("a") == ours.cluster_of("b") == ours.cluster_of("bridge")
    assert ours.remove("bridge")
    assert ours.cluster_of("bridge") is None
    assert ours.cluster_of("a") == ours.cluster_of("a2") != ours.cluster_of("b")
    sizes = dict(ours.largest())
    assert sorted(sizes.values()) == [1, 2]
    assert ours.members(ours.cluster_of("b") or "")[0].doc_id == "b"


def test_outlines_read_what_cluster_and_members_read(redis_client: redis.Redis) -> None:
    ours = store(redis_client)
    (_, fp), (_, other), *_ = corpus()
    a = ours.assign(fp, date(2020, 1, 1), 100)
    b = ours.assign(copy(fp, "b", "kb"), None, 100)  # joins a's cluster (a's id may point on)
    lone = ours.assign(other, date(2021, 5, 6), 80)
    ids = [a.cluster_id, b.cluster_id, lone.cluster_id, "unknown"]
    outlines = ours.outlines(ids)
    for cluster_id, outline in zip(ids[:3], outlines, strict=False):
        assert outline is not None and outline.info == ours.cluster(cluster_id)
        members = ours.members(outline.info.cluster_id)
        assert outline.members == tuple((m.doc_id, m.published) for m in members)
    assert outlines[3] is None
    assert dict(outlines[1].members if outlines[1] else ()) == {fp.doc_id: date(2020, 1, 1), "b": None}


def test_an_edge_to_a_text_that_changed_since_it_was_verified_is_not_merged(
    redis_client: redis.Redis,
) -> None:
    """Two workers: one verifies `new` against `peer`'s old text while the other changes `peer`
    (forgets it, indexes an unrelated text): the merge that comes last takes no stale edge, and
    leaves no member that is not indexed (size 8 listing 10, a document in two clusters)."""
    (_, fp), (_, other), *_ = corpus()
    ours = store(redis_client)
    ours.assign(copy(fp, "peer", "kpeer"), None, 10)
    newcomer = copy(fp, "new", "knew")
    assert run_call(ours.connection, ours.claim_call(newcomer)) == "new"
    verified = ours.verify(newcomer, "new", ours.index.add(newcomer))
    assert [e.b for e in verified.edges] == ["peer"]
    ours.remove("peer")  # the other worker: peer's page changed...
    ours.assign(copy(other, "peer", "kother"), None, 10)  # ...and its new text is indexed
    cluster = run_call(ours.connection, ours.merge_call(verified, None, 10)).cluster_id
    assert [m.doc_id for m in ours.members(cluster)] == ["new"]
    assert [m.doc_id for m in ours.members(ours.cluster_of("peer") or "")] == ["peer"]



def test_a_newcomer_joining_a_cluster_leaves_no_pointer_for_an_id_never_given(
    redis_client: redis.Redis,
) -> None:
    """Issue 21: a document that arrives with an edge to a live cluster joins it without a cluster
    of its own first, so no `merged_into` record stays for that never-given id (~120 bytes each,
    one for most documents). An id given before (its own cluster once) points the way, as it did."""
    (_, fp), (_, other) = corpus()[:2]
    ours = store(redis_client)
    first = ours.assign(copy(fp, "m", "km"), None, 10).cluster_id
    for doc_id in ("o", "p"):
        assert ours.assign(copy(fp, doc_id, f"k{doc_id}"), None, 10).cluster_id == first
    assert ours.cluster(rules.cluster_id(FP_ID, "o")) is None
    assert len(list(redis_client.scan_iter(match=f"{Keys('t').cluster('')}*"))) == 3  # record, :m, :e
    renamed = ours.assign(copy(fp, "a", "ka"), None, 10).cluster_id  # the smallest member names it
    assert renamed == rules.cluster_id(FP_ID, "a") and live(ours, first) == renamed
    given = ours.assign(copy(other, "n", "kn"), None, 10).cluster_id  # n's own cluster, seen
    ours.assign(copy(other, "b", "kb"), None, 10)  # renames it: n's id points the way
    assert ours.remove("n") and ours.assign(copy(fp, "n", "kn2"), None, 10).cluster_id == renamed
    assert live(ours, given) == renamed  # to the cluster n went to, as before
