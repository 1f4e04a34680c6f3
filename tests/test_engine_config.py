"""One engine parameter changed in one place (workers.settings.ENGINE) reaches the ingest, the
CLI, export and the web API: each reads back what the ingest wrote, and a reader left with the
default parameters finds none of what depends on them (other index keys, other alignments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from archive.keys import Keys
from dedup.align import AlignConfig
from dedup.fingerprint import FingerprintConfig
from dedup.winnow import WinnowConfig
from synthetic.corpus import generate
from tests.cli_process import clean_env
from tests.web_data import corpus_lines
from workers import settings as settings_module
from workers.cli import app
from workers.engine import EngineConfig
from workers.redis.connection import Connections
from workers.settings import load_settings
from workers.stores.store_set import open_stores, stores_of
from workers.web import create_app

PREFIX = "eng"
DEFAULT = EngineConfig()
CHANGED = EngineConfig(
    fingerprint=FingerprintConfig(num_perm=256),
    winnow=WinnowConfig(window=12),
    align=AlignConfig(min_span=12, version="align-3-span12"),
)


def _cli(env: dict[str, str], *args: str) -> object:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _traced(doc: dict[str, object]) -> bool:
    return bool(doc["sources"])


@pytest.fixture
def written(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A corpus imported by `dedupcrawl import` with CHANGED set in the one place."""
    monkeypatch.setattr(settings_module, "ENGINE", CHANGED)
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=PREFIX, DEDUPCRAWL_HOME=str(tmp_path))
    lines = tmp_path / "speeches.jsonl"
    lines.write_text("\n".join(corpus_lines(generate(30, seed=6))) + "\n", encoding="utf-8")
    imported = _cli(env, "import", str(lines), "--json")
    assert isinstance(imported, dict) and imported["indexed"] >= 25
    return env


def test_the_changed_engine_is_what_the_process_loads(written: dict[str, str]) -> None:
    assert load_settings(written).engine == CHANGED


def test_the_ingest_writes_with_the_changed_engine(
    redis_client: redis.Redis, written: dict[str, str]
) -> None:
    archive = Path(written["DEDUPCRAWL_HOME"]) / "warc"
    ours = open_stores(redis_client, Keys(PREFIX), CHANGED, archive_dir=archive)
    docs = [d for d in ours.documents.get_many(ours.documents.document_ids()) if d]
    assert docs and {d.fingerprint_id for d in docs} == {CHANGED.fingerprint_id}
    assert "m256" in CHANGED.fingerprint_id and CHANGED.fingerprint_id != DEFAULT.fingerprint_id
    assert all(len(d.fingerprint_id) and ours.passages.indexed(d.doc_id) for d in docs)
    names = {k.decode("utf-8", "replace") for k in redis_client.scan_iter(Keys(PREFIX).pattern)}
    assert any(n.startswith(f"{Keys(PREFIX).state}:lsh:{CHANGED.fingerprint_id}:") for n in names)
    assert not any(n.startswith(f"{Keys(PREFIX).state}:lsh:{DEFAULT.fingerprint_id}") for n in names)
    assert any(n.startswith(f"{Keys(PREFIX).state}:pass:win5x12-") for n in names)
    assert not any(n.startswith(f"{Keys(PREFIX).state}:pass:win5x16-") for n in names)
    assert any(n.startswith(f"{Keys(PREFIX).state}:aln:align-3-span12-") for n in names)
    theirs = open_stores(redis_client, Keys(PREFIX), DEFAULT)
    assert not any(theirs.passages.indexed(d.doc_id) for d in docs)
    assert all(theirs.clusters.cluster_of(d.doc_id) is None for d in docs)
    assert all(ours.clusters.cluster_of(d.doc_id) for d in docs)


def test_cli_export_and_web_read_what_the_ingest_wrote(
    redis_client: redis.Redis, written: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = _cli(written, "clusters", "--json")
    assert isinstance(listed, list) and listed
    member_ids = [m["id"] for c in listed for m in c["members"]]
    shown = [_cli(written, "show", doc_id, "--json") for doc_id in member_ids]
    traced = [d["id"] for d in shown if isinstance(d, dict) and _traced(d)]
    assert traced  # reused passages found through the changed aligner's stored alignments

    out = tmp_path / "uniques.jsonl"
    _cli(written, "export", "--out", str(out))
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert exported and {r["versions"]["fingerprint"] for r in exported} == {CHANGED.fingerprint_id}
    assert any(r["sources"] for r in exported)

    opened = stores_of(Connections(redis_client, redis_client), load_settings(written))
    web = TestClient(create_app(opened, tmp_path / "warc", None))
    assert [c["id"] for c in listed] == [c["id"] for c in _web_clusters(web)]
    assert all(_traced(web.get(f"/api/documents/{d}").json()) for d in traced)
    phrase = _phrase(redis_client, traced[0], tmp_path / "warc")
    assert traced[0] in [h["id"] for h in web.get("/api/search", params={"q": phrase}).json()["hits"]]

    # the same readers with the default parameters: no alignments, no passage index to search
    monkeypatch.setattr(settings_module, "ENGINE", DEFAULT)
    shown_default = [_cli(written, "show", doc_id, "--json") for doc_id in traced]
    assert not any(isinstance(d, dict) and _traced(d) for d in shown_default)
    _cli(written, "export", "--out", str(out))
    assert not any(json.loads(line)["sources"] for line in out.read_text(encoding="utf-8").splitlines())
    default_stores = open_stores(redis_client, Keys(PREFIX), DEFAULT, archive_dir=tmp_path / "warc")
    default_web = TestClient(create_app(default_stores, tmp_path / "warc", None))
    assert not default_web.get("/api/search", params={"q": phrase}).json()["hits"]


def _web_clusters(web: TestClient) -> list[dict[str, object]]:
    rows = web.get("/api/clusters", params={"per_page": 200}).json()
    return rows["rows"] if isinstance(rows, dict) else rows


def _phrase(connection: redis.Redis, doc_id: str, warc: Path) -> str:
    """A phrase of the document's text long enough to be searched in the passage index."""
    doc = open_stores(connection, Keys(PREFIX), CHANGED, archive_dir=warc).documents.get(doc_id)
    assert doc is not None
    return doc.display[40:70]
