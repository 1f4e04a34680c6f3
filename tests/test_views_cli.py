"""`dedupcrawl clusters` and `dedupcrawl show`, JSON and Rich tables, against the real ingest path."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from typer.testing import CliRunner

from dedup.provenance import trace
from synthetic.corpus import generate
from tests.cli_process import clean_env
from tests.engine_stack import new_ingestor
from tests.web_data import KEYS, build, corpus_lines, import_lines
from workers.cli import app
from workers.redis.ports import free_port
from workers.stores.store import Store


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_clusters_and_show(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    import_lines(redis_client, tmp_path / "warc", corpus_lines(generate(24, seed=6)), "one")
    clusters = new_ingestor(redis_client, KEYS, tmp_path / "warc").clusters
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path),
                    COLUMNS="80")

    code, out = _invoke(env, "clusters", "--json")
    listed = json.loads(out)
    assert code == 0 and listed and all(c["size"] >= 2 for c in listed)
    assert [c["id"] for c in listed] == [cid for cid, size in clusters.largest(1000) if size >= 2]
    for c in listed:
        assert c["size"] == len(c["members"]) and c["members"][0]["id"] == c["representative"]
        assert set(c["members"][0]) == {"id", "url", "title", "published", "jaccard", "containment"}
        assert all(0 <= m["jaccard"] <= 1 for m in c["members"])
    code, out = _invoke(env, "clusters", "--min-size", "1", "--json")
    assert sum(c["size"] for c in json.loads(out)) == redis_client.zcard(KEYS.docs)

    biggest = listed[0]
    code, out = _invoke(env, "show", biggest["id"], "--json")
    shown = json.loads(out)
    assert shown["kind"] == "cluster" and shown["members"] == biggest["members"] and "template" in shown
    member = biggest["members"][1]
    code, out = _invoke(env, "show", member["url"], "--json")
    doc = json.loads(out)
    assert doc["kind"] == "document" and doc["id"] == member["id"] and doc["cluster_id"] == biggest["id"]

    code, out = _invoke(env, "clusters")
    assert code == 0 and biggest["id"] in out
    assert all(len(line) <= 80 for line in out.splitlines())
    code, out = _invoke(env, "show", member["id"])
    assert code == 0 and member["id"] in out
    code, _ = _invoke(env, "show", "no-such-thing")
    assert code != 0


def _fresh_reuse(store: Store, doc_id: str) -> float:
    doc = store.get(doc_id)
    assert doc is not None
    return trace(doc.witness, len(doc.display), store.alignments(doc_id)).reuse_ratio


def test_clusters_filters_and_columns(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    build(redis_client, tmp_path / "warc", n_docs=40)
    ingestor = new_ingestor(redis_client, KEYS, tmp_path / "warc")
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path),
                    COLUMNS="160")
    reps = {}
    for cluster_id, _ in ingestor.clusters.largest(1000):
        info = ingestor.clusters.cluster(cluster_id)
        assert info is not None
        reps[cluster_id] = info.representative

    code, out = _invoke(env, "clusters", "--min-size", "1", "--min-reuse", "50", "--json")
    listed = json.loads(out)
    expected = {c for c, rep in reps.items() if _fresh_reuse(ingestor.store, rep) >= 0.5}
    assert code == 0 and expected and {c["id"] for c in listed} == expected
    assert all(c["reuse"] >= 0.5 and {"similarity", "sites", "first", "last"} <= set(c) for c in listed)

    site, since, until = "wenku.example.cn", "2019-01-01", "2021-12-31"
    code, out = _invoke(env, "clusters", "--min-size", "1", "--max-size", "1", "--site", site,
                        "--since", since, "--until", until, "--json")
    singles = json.loads(out)
    kept = set()
    for cluster_id in reps:
        members = ingestor.clusters.members(cluster_id)
        docs = [ingestor.store.get(m.doc_id) for m in members]
        days = [d.published.isoformat() for d in docs if d and d.published]
        on_site = any(d and d.site == site for d in docs)
        if len(members) == 1 and on_site and any(since <= d <= until for d in days):
            kept.add(cluster_id)
    assert code == 0 and kept and {c["id"] for c in singles} == kept
    assert all(c["similarity"] is None for c in singles)  # a singleton has no links

    code, out = _invoke(env, "clusters")
    header = next(line for line in out.splitlines() if "representative" in line)
    assert code == 0 and all(name in header for name in ("size", "reuse", "similarity", "sites", "dates"))
    best = max(listed, key=lambda c: c["reuse"])
    code, out = _invoke(env, "clusters", "--min-size", "1", "--min-reuse", "50")
    assert code == 0 and best["id"] in out and f"{best['reuse']:.0%}" in out
    code, out = _invoke(env, "clusters", "--since", "last week")
    assert code != 0 and "Traceback" not in out


def test_serve_answers_until_stopped(redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=KEYS.prefix, DEDUPCRAWL_HOME=str(tmp_path))
    server = subprocess.Popen([sys.executable, "-m", "workers", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = _poll(f"http://127.0.0.1:{port}/healthz", deadline=time.monotonic() + 30)
        assert json.loads(body) == {"ok": True}
        page = _poll(f"http://127.0.0.1:{port}/", deadline=time.monotonic() + 5)
        assert b"Read-only" in page  # no DEDUPCRAWL_TOKEN in this environment
    finally:
        server.terminate()
        server.wait(10)


def _poll(url: str, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
