"""Several worker processes ingest interleaved near-duplicates into one real redis-server at once,
and into a 3-master Redis Cluster (the state in one slot, the LSH index in tag groups).

Insert-before-query means that of two colliding documents processed at the same moment at least
one sees the other, and merges run inside Lua, so the concurrent result must equal a sequential
run exactly: same clusters, sizes that add up, nothing merged twice.
"""

from __future__ import annotations

import multiprocessing
from datetime import date
from typing import Any

import pytest

from archive.keys import Keys
from dedup.clusters import MemoryClusterer
from dedup.fingerprint import Fingerprint
from tests.conftest import IndexTarget
from tests.engine_corpus import FP_ID, corpus, partition
from tests.engine_stack import cluster_config
from workers.redis.connection import open_index
from workers.stores.cluster_store import ClusterStore

WORKERS = 3
Item = tuple[Fingerprint, date | None, int]


def ingest(url: str, items: list[Item], barrier: Any, lsh_groups: int) -> None:
    connection = open_index(url)
    store = ClusterStore(connection, Keys("race"), cluster_config(FP_ID, lsh_groups))
    barrier.wait(timeout=60)
    for fp, published, length in items:
        store.assign(fp, published, length)
    connection.close()


def run_workers(index: IndexTarget, shares: list[list[Item]]) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares))
    procs = [
        context.Process(target=ingest, args=(index.url, share, barrier, index.lsh_groups)) for share in shares
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert all(proc.exitcode == 0 for proc in procs)


def check_consistent(store: ClusterStore, docs: list[str]) -> dict[str, str]:
    labels = {doc: store.cluster_of(doc) or "" for doc in docs}
    sizes = dict(store.largest(100_000))
    assert sum(sizes.values()) == len(docs)
    assert set(sizes) == set(labels.values())
    for cluster_id, size in sizes.items():
        info = store.cluster(cluster_id)
        assert info is not None and info.cluster_id == cluster_id and info.size == size
        assert {m.doc_id for m in store.members(cluster_id)} == {
            d for d, c in labels.items() if c == cluster_id
        }
    return labels


@pytest.mark.slow
def test_concurrent_ingest_equals_a_sequential_run(index_target: IndexTarget) -> None:
    docs = sorted(corpus(), key=lambda pair: (pair[0].family or "~", pair[0].doc_id))
    items = [(fp, doc.published, len(doc.text)) for doc, fp in docs]
    # neighbours are near duplicates: dealt round-robin, they are ingested at the same moment;
    # each worker then re-delivers its neighbour's share (at-least-once delivery)
    shares = [items[k::WORKERS] + items[(k + 1) % WORKERS :: WORKERS] for k in range(WORKERS)]
    run_workers(index_target, shares)
    sequential = MemoryClusterer(FP_ID)
    for fp, published, length in items:
        sequential.assign(fp, published, length)
    store = ClusterStore(index_target.client, Keys("race"), cluster_config(FP_ID, index_target.lsh_groups))
    labels = check_consistent(store, [fp.doc_id for fp, _, _ in items])
    assert partition(labels) == partition(sequential.labels())
    assert max(len(g) for g in partition(labels)) >= 5


@pytest.mark.slow
def test_one_family_hammered_by_all_workers(index_target: IndexTarget) -> None:
    (_, fp), _ = corpus()[:2]
    twins = [
        (
            Fingerprint(f"t{i:03d}", fp.fingerprint_id, fp.signature, fp.shingle_count, f"k{i % 7}"),
            date(2020, 1, 1 + i % 28),
            100 + i,
        )
        for i in range(90)
    ]
    run_workers(index_target, [twins[k::WORKERS] for k in range(WORKERS)])
    store = ClusterStore(index_target.client, Keys("race"), cluster_config(FP_ID, index_target.lsh_groups))
    labels = check_consistent(store, [t[0].doc_id for t in twins])
    assert len(set(labels.values())) == 1
    info = store.cluster(next(iter(labels.values())))
    assert info is not None and info.size == 90
    assert info.representative == "t084"  # 2020-01-01 and the longest text among those
