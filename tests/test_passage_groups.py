"""The passage index on a real 3-master Redis Cluster, its shards in tag groups (workers.stores.
passage_index.PassageGroups): spread over the masters, with the answers of one Redis, and the
same pair weights whether documents sharing text are added one after another or all at once."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import redis

from archive.keys import Keys
from synthetic.corpus import generate
from tests.ingest_rig import IngestRig
from workers.engine import CLUSTER_PASSAGE_GROUPS
from workers.redis.connection import open_index
from workers.redis.direct_connection import RedisClient, run_call
from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import ServerInfo
from workers.settings import ENGINE
from workers.stores.pair_links import pair_weights
from workers.stores.passage_index import PassageIndex

Doc = tuple[str, npt.NDArray[np.uint64]]
RULE = replace(ENGINE.sharing, max_docs=6)  # some shared blocks pass the cap: saturations race too
PROCESSES = 3


def test_the_passage_shards_spread_over_the_masters_with_the_answers_of_one_redis(
    redis_client: redis.Redis, redis_cluster: LocalCluster, cluster_client: redis.RedisCluster, tmp_path: Path
) -> None:
    """A generated corpus ingested into one Redis (one script an add) and into the cluster (the
    service's cluster engine): the passage shards sit on every master, and the pair weights,
    clusters, sources and export are the same."""
    docs = generate(80, seed=21)
    single = IngestRig(redis_client, tmp_path / "single", "single")
    spread = IngestRig(cluster_client, tmp_path / "spread", "spread", ENGINE.on_cluster(), redis_client)
    for rig in (single, spread):
        for doc in docs:
            rig.put(doc.url, doc.text, doc.published)
    holding = [_shard_keys(redis.Redis(port=node.port)) for node in redis_cluster.masters()]
    assert len(holding) == 3 and all(holding), holding  # on main: every shard on one master
    assert _weights(single) == _weights(spread) and len(_weights(single)) > 20
    assert single.clusters() == spread.clusters()
    assert single.sources() == spread.sources() and any(single.sources().values())
    assert _exported(single) == _exported(spread)


@pytest.mark.parametrize("where", ["cluster", "redis"])
def test_documents_sharing_text_added_at_once_get_the_weights_of_one_after_another(
    where: str, redis_server: ServerInfo, redis_client: redis.Redis, request: pytest.FixtureRequest
) -> None:
    """Processes add documents built of shared blocks of fingerprints at once (some documents
    twice, by two processes: a re-add, or the same add run twice at the same moment); the pair
    weights equal a sequential add's into one Redis with one script an add, and of every pair
    at least one side's reply named the other (insert-then-query)."""
    if where == "cluster":
        cluster: LocalCluster = request.getfixturevalue("redis_cluster")
        client: RedisClient = request.getfixturevalue("cluster_client")
        url = cluster.url
    else:
        client, url = redis_client, redis_server.tcp_url
    for seed in range(3):
        docs = _block_docs(seed)
        sequential = _index(redis_client, f"seq{seed}", 1)
        for doc_id, fps in docs:
            run_call(redis_client, sequential.add_fingerprints_call(doc_id, fps))
        want = _pair_weights(redis_client, sequential, docs)
        shares = [docs[p::PROCESSES] + docs[(p + 1) * 7 % len(docs) :][:3] for p in range(PROCESSES)]
        replies = _add_at_once(url, f"race{seed}", shares)
        got = _pair_weights(client, _index(client, f"race{seed}", CLUSTER_PASSAGE_GROUPS), docs)
        assert got == want and len(want) > 30
        named = {frozenset((doc_id, other)) for doc_id, found in replies for other, _ in found}
        assert {frozenset(pair) for pair in want} <= named
        assert list(client.scan_iter(match=f"*race{seed}*:pend:*")) == []  # nothing left waiting for a final


def _add(url: str, prefix: str, share: list[Doc], barrier: Any, out: Any) -> None:
    connection = open_index(url)
    index = _index(connection, prefix, CLUSTER_PASSAGE_GROUPS)
    barrier.wait(timeout=60)
    out.put([(d, run_call(connection, index.add_fingerprints_call(d, fps))) for d, fps in share])
    connection.close()


def _add_at_once(url: str, prefix: str, shares: list[list[Doc]]) -> list[tuple[str, list[tuple[str, int]]]]:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(len(shares)), context.Queue()
    procs = [context.Process(target=_add, args=(url, prefix, share, barrier, out)) for share in shares]
    for proc in procs:
        proc.start()
    replies = [reply for _ in procs for reply in out.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=60)
    assert all(proc.exitcode == 0 for proc in procs)
    return replies


def _index(connection: RedisClient, prefix: str, groups: int) -> PassageIndex:
    return PassageIndex(connection, Keys(prefix), ENGINE.winnow, RULE, ENGINE.align.version, groups)


def _block_docs(seed: int) -> list[Doc]:
    """Documents of 2-4 of 24 shared blocks of 8 fingerprints and 6 of their own (no fingerprint
    twice in a document: the pairs' counts do not depend on which side counted them)."""
    rng = np.random.default_rng(seed)
    values = rng.choice(2**62, size=24 * 8 + 60 * 6, replace=False).astype(np.uint64)
    blocks = values[: 24 * 8].reshape(24, 8)
    docs = []
    for number in range(60):
        chosen = blocks[rng.choice(24, size=int(rng.integers(2, 5)), replace=False)].ravel()
        own = values[24 * 8 + number * 6 : 24 * 8 + (number + 1) * 6]
        docs.append((f"d{number}", rng.permutation(np.concatenate([chosen, own]))))
    return docs


def _pair_weights(client: RedisClient, index: PassageIndex, docs: list[Doc]) -> dict[tuple[str, str], int]:
    """Every stored pair weight, both sides (doc id, other) -> count."""
    found = {}
    for doc_id, _ in docs:
        for other, weight in pair_weights(client, index.weights, doc_id).items():
            found[(doc_id, other)] = weight
    return found


def _weights(rig: IngestRig) -> dict[tuple[str, str], int]:
    """The stored pair weights (passage sharing that counts) by URL."""
    urls, passages = rig.urls(), rig.ingestor.passages
    found = {}
    for doc_id, url in urls.items():
        for other, weight in pair_weights(rig.connection, passages.weights, doc_id).items():
            found[(url, urls[other])] = weight
    return found


def _exported(rig: IngestRig) -> list[dict[str, Any]]:
    """The export's records but their captures (each rig archived its own: ids, files, times)."""
    records = [{k: v for k, v in record.items() if k != "captures"} for record in rig.export()]
    return sorted(records, key=lambda r: str(r.get("url")))


def _shard_keys(node: redis.Redis) -> int:
    return sum(1 for _ in node.scan_iter(match="*:pass:*:s:*", count=1000))


class Cut(Exception):
    """The process died between an add's groups and its final."""


def test_an_add_cut_before_its_final_counts_each_fingerprint_once_when_retried(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker dies after its groups' scripts and before the final; another document sharing
    text is added meanwhile; the retried add counts only the holders ahead of it, the other's
    final left it the rest: the weights of an add that never failed."""
    docs = _block_docs(7)
    (a, fps_a), (b, fps_b) = docs[0], next(d for d in docs[1:] if np.intersect1d(d[1], docs[0][1]).size)
    sequential = _index(redis_client, "whole", 1)
    for doc_id, fps in ((a, fps_a), (b, fps_b)):
        run_call(redis_client, sequential.add_fingerprints_call(doc_id, fps))
    cut = _index(redis_client, "cut", CLUSTER_PASSAGE_GROUPS)
    groups = cut._groups
    assert groups is not None

    def die(*_: object, **__: object) -> None:
        raise Cut

    with monkeypatch.context() as patched:
        patched.setattr(groups, "_final", die)
        with pytest.raises(Cut):
            run_call(redis_client, cut.add_fingerprints_call(a, fps_a))
    assert run_call(redis_client, cut.add_fingerprints_call(b, fps_b)) == []  # a's add has not finished
    retried = run_call(redis_client, cut.add_fingerprints_call(a, fps_a))
    both = [(a, fps_a), (b, fps_b)]
    want = _pair_weights(redis_client, sequential, both)
    assert _pair_weights(redis_client, cut, both) == want and want
    assert retried == [(b, want[(a, b)])]


def test_reindex_moves_a_cluster_index_into_the_passage_groups_and_keeps_deletions(
    redis_client: redis.Redis, redis_cluster: LocalCluster, cluster_client: redis.RedisCluster, tmp_path: Path
) -> None:
    """An index built on the cluster before the passage groups (its passage index under the state
    tag), a document deleted; `reindex` with the groups leaves no key of the old layout, keeps the
    deleted document out, and answers as an index built with the groups from the start (of the
    documents but the deleted one)."""
    docs = generate(40, seed=5)
    before = replace(ENGINE.on_cluster(), passage_groups=1)
    moved = IngestRig(cluster_client, tmp_path / "moved", "moved", before, redis_client)
    fresh = IngestRig(cluster_client, tmp_path / "fresh", "fresh", ENGINE.on_cluster(), redis_client)
    for doc in docs:
        moved.put(doc.url, doc.text, doc.published)
        if doc is not docs[3]:
            fresh.put(doc.url, doc.text, doc.published)
    assert moved.delete(docs[3].url)
    old_layout = moved.ingestor.passages.base
    assert list(cluster_client.scan_iter(match=f"{old_layout}:*"))
    moved.engine = ENGINE.on_cluster()
    moved.reindex()
    assert list(cluster_client.scan_iter(match=f"{old_layout}:*")) == []
    assert docs[3].url not in moved.urls().values() and len(moved.urls()) == len(docs) - 1
    assert _weights(moved) == _weights(fresh) and _weights(moved)
    assert moved.sources() == fresh.sources()
