"""Export of clean uniques: round trip against the store, incremental exports, Parquet via pyarrow."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import redis
from typer.testing import CliRunner

from dedup.provenance import trace
from synthetic.corpus import generate
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import new_ingestor, stores
from tests.web_data import KEYS, corpus_lines, import_lines
from workers.cli import app
from workers.errors import ServiceError
from workers.exit_codes import ExitCode
from workers.read.export import Exporter, sources_of, write
from workers.stores.cluster_store import ClusterStore
from workers.stores.store import Store
from workers.web.actions import delete_document


def _live_reps(store: Store, clusters: ClusterStore, doc_ids: list[str]) -> set[str]:
    reps = set()
    for doc_id in doc_ids:
        info = clusters.cluster(clusters.cluster_of(doc_id) or "")
        assert info is not None
        reps.add(info.representative)
    return reps


def _check_against_store(rows: list[dict[str, object]], store: Store, clusters: ClusterStore) -> None:
    for row in rows:
        doc = store.get(str(row["id"]))
        assert doc is not None
        info = clusters.cluster(clusters.cluster_of(doc.doc_id) or "")
        assert info is not None and info.representative == doc.doc_id
        traced = trace(doc.witness, len(doc.display), store.alignments(doc.doc_id))
        assert row["text"] == doc.display and row["url"] == doc.url and row["title"] == doc.title
        assert row["sources"] == sources_of(traced)
        assert row["reuse_ratio"] == pytest.approx(traced.reuse_ratio, abs=1e-6)
        assert row["cluster_id"] == info.cluster_id and row["cluster_size"] == info.size
        members = store.get_many([m.doc_id for m in clusters.members(info.cluster_id)])
        assert row["member_urls"] == sorted(m.url for m in members if m)
        assert [c["payload_digest"] for c in row["captures"]] == [c["payload_digest"] for c in doc.captures]  # type: ignore[attr-defined]
        assert row["versions"]["norm"] == doc.norm_version  # type: ignore[index]


def test_full_then_incremental_export(redis_client: redis.Redis, tmp_path: Path) -> None:
    warc = tmp_path / "warc"
    docs = generate(50, seed=21)
    first, second = docs[:32], docs[32:]
    import_lines(redis_client, warc, corpus_lines(first), "one")
    ingestor = new_ingestor(redis_client, KEYS, warc)
    store, clusters = ingestor.store, ingestor.clusters
    exporter = Exporter(stores(redis_client, KEYS, warc_dir=warc))

    full = exporter.export()
    write(full.records, tmp_path / "full.parquet", "parquet")
    rows = pq.read_table(tmp_path / "full.parquet").to_pylist()
    all_ids = store.document_ids()
    assert {r["id"] for r in rows} == _live_reps(store, clusters, all_ids)
    assert len(rows) == len({r["cluster_id"] for r in rows})
    _check_against_store(rows, store, clusters)

    # An earlier copy of an exported representative arrives: it must replace it.
    old_rep = next(r for r in rows if r["cluster_size"] >= 2)
    old = store.get(old_rep["id"])
    assert old is not None and old.published is not None
    copy = {"url": old.url + "?copy", "text": old.display, "title": old.title,
            "published": (old.published - timedelta(days=400)).isoformat()}
    import_lines(redis_client, warc, [*corpus_lines(second), json.dumps(copy, ensure_ascii=False)], "two")
    new_ids = [d for d in store.document_ids() if d not in set(all_ids)]
    assert len(new_ids) == len(second) + 1

    later = exporter.export(since=full.cursor)
    write(later.records, tmp_path / "later.jsonl", "jsonl")
    lines = [json.loads(line) for line in (tmp_path / "later.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["id"] for r in lines} == _live_reps(store, clusters, new_ids)
    _check_against_store(lines, store, clusters)
    copy_id = store.find(copy["url"]).doc_id  # type: ignore[union-attr]
    replacing = next(r for r in lines if r["id"] == copy_id)
    assert old_rep["id"] in replacing["replaces"]
    replaced = [x for r in lines for x in r["replaces"]]
    emitted_first = {r["id"] for r in rows}
    assert len(replaced) == len(set(replaced)) and set(replaced) <= emitted_first

    assert exporter.export(since=later.cursor).records == []
    with pytest.raises(ServiceError, match="ahead"):
        exporter.export(since=later.cursor + 1)


def test_deleted_representative_is_reported_and_replaced(redis_client: redis.Redis, tmp_path: Path) -> None:
    warc = tmp_path / "warc"
    import_lines(redis_client, warc, corpus_lines(generate(24, seed=4)), "one")
    ingestor = new_ingestor(redis_client, KEYS, warc)
    exporter = Exporter(stores(redis_client, KEYS, warc_dir=warc))
    full = exporter.export()
    victim = next(r for r in full.records if r.cluster_size >= 2)
    assert delete_document(ingestor.store, ingestor.clusters, ingestor.passages, victim.id)
    later = exporter.export(since=full.cursor)
    by_id = {r.id: r for r in later.records}
    assert by_id[victim.id].deleted
    survivors = [r for r in later.records if not r.deleted]
    assert len(survivors) == 1 and survivors[0].cluster_id == victim.cluster_id
    assert survivors[0].id != victim.id and victim.url not in survivors[0].member_urls


def test_export_command_prints_the_cursor(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    import_lines(redis_client, tmp_path / "warc", corpus_lines(generate(12, seed=8)), "one")
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path))
    out = tmp_path / "uniques.parquet"
    done = run_cli("export", "--format", "parquet", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["cursor"] == int(redis_client.get(KEYS.change_seq) or 0)
    assert summary["records"] == pq.read_table(out).num_rows > 0
    runner = CliRunner()
    again = runner.invoke(app, ["export", "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"),
                                "--since", str(summary["cursor"])], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["records"] == 0
    bad = runner.invoke(app, ["export", "--format", "csv", "--out", str(tmp_path / "x.csv")], env=env)
    assert bad.exit_code == ExitCode.USAGE and "--format" in bad.output
