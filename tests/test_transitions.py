"""A document changing or leaving (issue 17, item 1): re-import with a new text, delete,
re-import, reindex; the old text leaves its cluster, the indexes, the alignments and the
sources of the documents that cited it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
import redis

from synthetic.corpus import CorpusDoc, generate
from tests.engine_stack import stores
from tests.fault_rig import consistency_problems
from tests.ingest_rig import IngestRig
from workers.read.export import Exporter

URL = "https://s.example.com/{}.html"


@pytest.fixture(scope="module")
def texts() -> list[CorpusDoc]:
    return generate(10, 77)


@pytest.fixture()
def rig(redis_client: redis.Redis, tmp_path: Path) -> IngestRig:
    return IngestRig(redis_client, tmp_path)


def _near_copies(base: str, marks: dict[str, str]) -> dict[str, str]:
    middle = len(base) // 2
    return {URL.format(name): base[:middle] + mark + base[middle:] for name, mark in marks.items()}


def _three(rig: IngestRig, texts: list[CorpusDoc]) -> dict[str, str]:
    copies = _near_copies(texts[2].text, {"x": "甲", "y": "乙乙", "z": "丙丙丙"})
    for url, text in copies.items():
        rig.put(url, text)
    return copies


def _problems(rig: IngestRig) -> list[str]:
    return consistency_problems(rig.ingestor)


def test_a_changed_document_leaves_its_cluster(rig: IngestRig, texts: list[CorpusDoc]) -> None:
    """The issue's script: x, y, z cluster; x comes again with an unrelated text."""
    _three(rig, texts)
    assert {c.size for c in rig.clusters()} == {3}
    rig.put(URL.format("x"), texts[5].text)
    x, y, z = (URL.format(n) for n in "xyz")
    views = rig.clusters()
    assert {(c.members, c.size) for c in views} == {(frozenset({y, z}), 2), (frozenset({x}), 1)}
    assert _problems(rig) == []
    exported = rig.export()
    assert len(exported) == 2
    assert texts[5].text.split("\n")[0][:20] in next(r["text"] for r in exported if r["url"] == x)
    assert {r["cluster_size"] for r in exported} == {1, 2}
    rig.reindex()
    assert rig.clusters() == views and _problems(rig) == []


def test_a_bridge_leaving_splits_its_cluster_and_keeps_edge_weights(
    rig: IngestRig, texts: list[CorpusDoc]
) -> None:
    a, c = texts[1].text, texts[4].text
    docs = {"a": a, "a2": a + "补", "c": c, "c2": "前" + c, "bridge": a + "\n" + c}
    for name, text in docs.items():
        rig.put(URL.format(name), text)
    (whole,) = rig.clusters()
    assert whole.size == 5
    store = rig.ingestor.clusters
    before = {(e.a, e.b): (e.jaccard, e.containment, e.kind)
              for m in store.members(store.cluster_of(rig.ingestor.store.find(URL.format("a")).doc_id) or "")
              for e in m.edges}  # fmt: skip
    assert rig.delete(URL.format("bridge"))
    pairs = {(c.members, c.size) for c in rig.clusters()}
    a_side = frozenset({URL.format("a"), URL.format("a2")})
    c_side = frozenset({URL.format("c"), URL.format("c2")})
    assert pairs == {(a_side, 2), (c_side, 2)}
    after = {}
    for url in (URL.format("a"), URL.format("c")):
        doc = rig.ingestor.store.find(url)
        assert doc is not None
        for member in store.members(store.cluster_of(doc.doc_id) or ""):
            after.update({(e.a, e.b): (e.jaccard, e.containment, e.kind) for e in member.edges})
    assert after and all(before[pair] == weights for pair, weights in after.items())
    assert _problems(rig) == []


def test_exact_copies_stay_together_and_findable_when_the_first_changes(
    rig: IngestRig, texts: list[CorpusDoc]
) -> None:
    """x holds the match key; y and z are its exact copies, which entered no LSH index."""
    base = texts[3].text
    for name in "xyz":
        rig.put(URL.format(name), base)
    rig.put(URL.format("x"), texts[6].text)
    rig.put(URL.format("w"), base[: len(base) // 2] + "丁丁" + base[len(base) // 2 :])
    together = frozenset(URL.format(n) for n in "yzw")
    assert {c.members for c in rig.clusters()} == {together, frozenset({URL.format("x")})}
    assert _problems(rig) == []


def test_cluster_ids_do_not_depend_on_the_order(
    redis_client: redis.Redis, tmp_path: Path, texts: list[CorpusDoc]
) -> None:
    copies = _near_copies(texts[2].text, {"x": "甲", "y": "乙乙", "z": "丙丙丙"})
    ids = []
    for order, prefix in ((list(copies), "one"), (list(reversed(copies)), "two")):
        rig = IngestRig(redis_client, tmp_path / prefix, prefix)
        for url in order:
            rig.put(url, copies[url])
        ids.append({r["cluster_id"] for r in rig.export()})
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_a_deleted_source_leaves_the_sources_of_what_cited_it(
    rig: IngestRig, texts: list[CorpusDoc]
) -> None:
    source, other = texts[0].text, texts[7].text
    passage = source[:400]
    rig.put(URL.format("source"), source, date(2015, 1, 1))
    rig.put(URL.format("reuser"), other + "\n" + passage, date(2020, 1, 1))
    assert rig.sources()[URL.format("reuser")] == (URL.format("source"),)
    rig.export()
    cursor = int(rig.connection.get(rig.keys.change_seq) or 0)
    assert rig.delete(URL.format("source"))
    assert rig.sources() == {URL.format("reuser"): ()}
    changed = {r["id"]: r for r in _since(rig, cursor)}
    reuser = rig.ingestor.store.find(URL.format("reuser"))
    assert reuser is not None and changed[reuser.doc_id]["sources"] == []
    assert _problems(rig) == []


def test_a_deleted_document_stays_deleted_through_reindex_and_comes_back_when_imported(
    rig: IngestRig, texts: list[CorpusDoc]
) -> None:
    copies = _three(rig, texts)
    x = URL.format("x")
    assert rig.delete(x)
    rig.reindex()
    assert {c.members for c in rig.clusters()} == {frozenset({URL.format("y"), URL.format("z")})}
    rig.put(x, copies[x])
    assert {c.size for c in rig.clusters()} == {3}
    assert _problems(rig) == []


def _since(rig: IngestRig, cursor: int) -> list[dict[str, object]]:
    exporter = Exporter(stores(rig.connection, rig.keys, rig.ingestor.config, rig.warc))
    return [asdict(r) for r in exporter.export(cursor).records]


def test_a_deleted_exact_copy_claims_nothing_when_the_archive_is_read_again(
    rig: IngestRig, texts: list[CorpusDoc]
) -> None:
    """Its capture is skipped by the save; its match key claim (sent in the same round trip)
    must be skipped too, or its copy joins a ghost that has no record."""
    x, y = URL.format("x"), URL.format("y")
    rig.put(x, texts[3].text)
    rig.put(y, texts[3].text)
    assert rig.delete(x)
    rig.reindex()
    assert {(c.members, c.size) for c in rig.clusters()} == {(frozenset({y}), 1)}
    assert _problems(rig) == []
