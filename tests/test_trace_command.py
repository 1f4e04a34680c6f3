"""`dedupcrawl trace` and `dedupcrawl template` on documents ingested through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from archive.keys import Keys
from archive.warc import WarcArchive
from dedup.records import Rejection
from synthetic.corpus import CorpusDoc, generate
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import new_ingestor, stores
from workers.cli import app
from workers.exit_codes import ExitCode
from workers.flow.imports import Importer
from workers.flow.ingest import document_id

runner = CliRunner()
PREFIX = "t"


@pytest.fixture()
def ingested(redis_client: redis.Redis, tmp_path: Path) -> list[CorpusDoc]:
    docs = [d for d in generate(60, seed=11) if d.family in {"f00003", "f00004"}]
    path = tmp_path / "docs.jsonl"
    rows = [
        {"url": d.url, "text": d.noisy, "title": d.title, "published": d.published.isoformat()}
        for d in docs
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    ingestor = new_ingestor(redis_client, Keys(PREFIX), tmp_path / "warc")
    archive = WarcArchive(tmp_path / "warc", "import")
    for item in Importer(archive).jsonl(path):
        assert not isinstance(item, Rejection)
        ingestor.ingest_capture(item)
    archive.close()
    return docs


def _env(redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "DEDUPCRAWL_KEY_PREFIX": PREFIX, "DEDUPCRAWL_HOME": str(tmp_path)}


def _variant(docs: list[CorpusDoc]) -> CorpusDoc:
    return next(d for d in sorted(docs, key=lambda d: d.doc_id) if d.role == "variant" and d.spans)


def test_trace_json_names_earlier_sources_with_their_text(
    ingested: list[CorpusDoc], redis_url: str, tmp_path: Path
) -> None:
    doc = _variant(ingested)
    result = runner.invoke(app, ["trace", doc.url, "--json"], env=_env(redis_url, tmp_path))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {"id", "url", "text", "reuse_ratio", "spans"} <= record.keys()
    assert record["url"] == doc.url and record["spans"]
    assert 0.3 < record["reuse_ratio"] <= 1.0
    published = {d.url: d.published.isoformat() for d in ingested}
    for span in record["spans"]:
        assert span["text"] == record["text"][span["start"] : span["end"]]
        source = span["source"]
        assert {"id", "url", "published", "start", "end", "text"} <= source.keys()
        assert source["published"] < published[doc.url]
        assert source["published"] == published[source["url"]]
        assert source["text"]
        for witness in span["witnesses"]:
            assert witness["published"] >= source["published"]
    by_id = runner.invoke(app, ["trace", record["id"], "--json"], env=_env(redis_url, tmp_path))
    assert json.loads(by_id.stdout) == record


def test_trace_rich_output_and_unknown_documents(
    ingested: list[CorpusDoc], redis_url: str, tmp_path: Path
) -> None:
    doc = _variant(ingested)
    shown = runner.invoke(app, ["trace", doc.url], env=_env(redis_url, tmp_path))
    assert shown.exit_code == 0, shown.output
    assert "reused" in shown.stdout and "source" in shown.stdout
    missing = runner.invoke(app, ["trace", "https://nowhere.example/x"], env=_env(redis_url, tmp_path))
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert "no document" in missing.output


def test_template_json_has_slots_with_member_values(
    ingested: list[CorpusDoc], redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    doc = _variant(ingested)
    stored = (
        stores(redis_client, Keys(PREFIX), warc_dir=tmp_path / "warc").documents.get(document_id(doc.url))
    )
    assert stored and stored.cluster_id
    result = runner.invoke(app, ["template", stored.cluster_id, "--json"], env=_env(redis_url, tmp_path))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["slots"] and "{{1}}" in record["text"]
    members = {m["id"] for m in record["members"]}
    for slot in record["slots"]:
        assert {v["id"] for v in slot["values"]} == members
        assert len(slot["text"]) <= 30
    shown = runner.invoke(app, ["template", stored.cluster_id], env=_env(redis_url, tmp_path))
    assert shown.exit_code == 0 and "{{1}}" in shown.stdout
    missing = runner.invoke(app, ["template", "nope"], env=_env(redis_url, tmp_path))
    assert missing.exit_code == ExitCode.NOT_FOUND and "no cluster" in missing.output


def test_template_and_show_of_members_differing_only_in_their_last_line(
    redis_url: str, tmp_path: Path
) -> None:
    # issue 17 item 4: `template` and `show` exited 1 (IndexError in dedup/slots.py)
    base = generate(3, 7)[2].text
    rows = [{"url": f"https://s.example.com/{n}.html", "text": base + "\n" + name}
            for n, name in (("a", "张三"), ("b", "李四"))]
    path = tmp_path / "last-line.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = clean_env(**_env(redis_url, tmp_path))
    imported = run_cli("import", str(path), env=env)
    assert imported.returncode == 0, imported.stderr[-2000:]
    listed = json.loads(run_cli("clusters", "--json", env=env).stdout)
    assert [c["size"] for c in listed] == [2]
    cluster_id = listed[0]["id"]
    template = run_cli("template", cluster_id, "--json", env=env)
    assert template.returncode == 0, template.stderr[-2000:]
    slots = json.loads(template.stdout)["slots"]
    assert len(slots) == 1
    assert {slots[0]["text"], *(v["value"] for v in slots[0]["values"])} == {"张三", "李四"}
    shown = run_cli("show", cluster_id, env=env)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr[-2000:]
