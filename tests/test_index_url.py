"""DEDUPCRAWL_INDEX_URL: the index (documents, clusters, LSH, passages, pair links, counters) on a
Redis of its own, while RQ's queues, leases and crawl state stay on REDIS_URL's; the URL forms
and their one-line errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from crawler.queues import ALL, TRACE, queue
from synthetic.corpus import generate
from tests.cli_process import clean_env, run_cli
from tests.web_data import corpus_lines
from workers.errors import SettingsError
from workers.redis.connection import Connections, open_index
from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import RedisServer, ServerInfo, stop_process
from workers.redis.slot_routing import RedisClient
from workers.settings import cluster_address, load_settings
from workers.stores.derived_state import derived_keys
from workers.stores.store_set import stores_of
from workers.web import create_app

PREFIX = "ix"


@pytest.fixture(scope="module")
def index_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    info = RedisServer(tmp_path_factory.mktemp("index")).start()
    yield info
    stop_process(info.pid)


@pytest.fixture(params=["redis", "cluster"])
def own_index(request: pytest.FixtureRequest, index_server: ServerInfo) -> Iterator[tuple[str, RedisClient]]:
    """An index apart from the queues: a second redis-server, then the 3-master cluster; emptied."""
    if request.param == "redis":
        client = redis.Redis.from_url(index_server.tcp_url)
        client.flushall()
        yield index_server.tcp_url, client
        client.close()
        return
    cluster = request.getfixturevalue("redis_cluster")
    yield cluster.url, request.getfixturevalue("cluster_client")


def _names(client: RedisClient) -> set[bytes]:
    return set(client.scan_iter(count=1000))


def _json(result: object) -> object:
    stdout = getattr(result, "stdout", "")
    return json.loads(stdout.strip().splitlines()[-1])


def test_ingest_and_trace_jobs_write_the_index_where_the_setting_says(
    redis_client: redis.Redis, redis_url: str, own_index: tuple[str, RedisClient], tmp_path: Path
) -> None:
    index_url, index = own_index
    env = clean_env(
        REDIS_URL=redis_url,
        DEDUPCRAWL_INDEX_URL=index_url,
        DEDUPCRAWL_KEY_PREFIX=PREFIX,
        DEDUPCRAWL_HOME=str(tmp_path),
    )
    lines = tmp_path / "speeches.jsonl"
    lines.write_text("\n".join(corpus_lines(generate(30, seed=6))) + "\n", encoding="utf-8")
    imported = run_cli("import", str(lines), "--defer-trace", "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    counts = _json(imported)
    assert isinstance(counts, dict) and counts["indexed"] >= 25 and counts["untraced"] > 0
    assert queue(TRACE, redis_client).count > 0  # the trace jobs went to the queues' Redis
    drained = run_cli("worker", "--burst", "--queues", TRACE, env=env, timeout=300)
    assert drained.returncode == 0, drained.stderr
    status = _json(run_cli("status", "--json", env=env))
    assert isinstance(status, dict) and status["index_url"] == index_url
    assert status["counts"]["documents"] == counts["indexed"] and status["counts"]["untraced"] == 0
    # every key of the index is derived state (rebuilt by reindex), none is RQ's; the queues'
    # Redis holds RQ's keys and none of the index
    assert set(derived_keys(index, PREFIX)) == _names(index) != set()
    assert derived_keys(redis_client, PREFIX) == []
    assert any(name.startswith(b"rq:") for name in _names(redis_client))
    # the web UI reads the index and the queues each where they are
    opened = stores_of(Connections(redis_client, index), load_settings(env))
    web = TestClient(create_app(opened, tmp_path / "warc", None))
    assert web.get("/healthz").json() == {"ok": True}
    dashboard = web.get("/api/dashboard").json()
    assert dashboard["documents"] == counts["indexed"] and set(dashboard["queues"]) == set(ALL)
    assert f"dedupcrawl_documents {float(counts['indexed'])}" in web.get("/metrics").text
    assert web.get("/api/ops").status_code == 200


def test_reindex_rebuilds_into_the_index_url(
    redis_client: redis.Redis, redis_url: str, own_index: tuple[str, RedisClient], tmp_path: Path
) -> None:
    """Moving a single-Redis store to its own index (a cluster): `reindex` with the URL set."""
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_KEY_PREFIX=PREFIX, DEDUPCRAWL_HOME=str(tmp_path))
    lines = tmp_path / "speeches.jsonl"
    lines.write_text("\n".join(corpus_lines(generate(20, seed=3))) + "\n", encoding="utf-8")
    assert run_cli("import", str(lines), "--json", env=env).returncode == 0
    before = _json(run_cli("clusters", "--json", env=env))
    assert isinstance(before, list) and before
    index_url, index = own_index
    moved = {**env, "DEDUPCRAWL_INDEX_URL": index_url}
    rebuilt = run_cli("reindex", "--json", env=moved)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _json(run_cli("clusters", "--json", env=moved)) == before
    assert derived_keys(index, PREFIX)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://h:1", "expected redis+cluster://"),
        ("redis+cluster://h:70000", "not a number in 1-65535"),
        ("redis+cluster://h:1,:2", "a node without a host"),
        ("redis+cluster://h:1/2", "one database"),
        ("redis://:1", "no host"),
    ],
)
def test_bad_index_urls_are_named_in_one_line(url: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=re.escape(problem)) as raised:
        load_settings({"DEDUPCRAWL_HOME": str(tmp_path), "DEDUPCRAWL_INDEX_URL": url})
    assert raised.value.setting == "DEDUPCRAWL_INDEX_URL"
    result = run_cli("status", env=clean_env(DEDUPCRAWL_HOME=str(tmp_path), DEDUPCRAWL_INDEX_URL=url))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: DEDUPCRAWL_INDEX_URL: ")


def test_a_cluster_url_names_its_nodes_and_keeps_its_password_out_of_errors(tmp_path: Path) -> None:
    address = cluster_address("rediss+cluster://u:p%40ss@h1:7000,[::1]:7001,h3")
    assert address.nodes == (("h1", 7000), ("::1", 7001), ("h3", 6379))
    assert (address.username, address.password, address.tls) == ("u", "p@ss", True)
    with pytest.raises(SettingsError) as raised:
        load_settings({"DEDUPCRAWL_HOME": str(tmp_path), "DEDUPCRAWL_INDEX_URL": "redis+cluster://u:secret@h:0"})
    assert "secret" not in str(raised.value)


def test_the_cluster_url_opens_a_cluster_client(redis_cluster: LocalCluster) -> None:
    client = open_index(redis_cluster.url)
    assert isinstance(client, redis.RedisCluster)
    assert {node.port for node in client.get_primaries()} == {m.port for m in redis_cluster.masters()}
    client.close()
    assert isinstance(open_index("redis://127.0.0.1:1/0"), redis.Redis)
