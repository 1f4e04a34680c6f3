"""Shared fixtures: one real redis-server for the session, a clean database per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from hypothesis import settings

from workers.engine import CLUSTER_LSH_GROUPS
from workers.redis.direct_connection import RedisClient
from workers.redis.local_cluster import LocalCluster
from workers.redis.redis_server import RedisServer, ServerInfo, stop_process

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"

# The suite's property tests draw the same examples on every machine, so a CI run on a fresh
# clone cannot fail at random (a 1-in-3,000 normalizer case once did on a helper's machine).
# Hunting for new cases is a separate run: HYPOTHESIS_PROFILE=hunt pytest tests -k properties
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("hunt", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """A real redis-server on a free loopback port, started for this test session."""
    info = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield info
    stop_process(info.pid)


@pytest.fixture()
def redis_client(redis_server: ServerInfo) -> Iterator[redis.Redis]:
    """A connection to the session server, flushed before the test so each test starts empty.
    Over TCP, as workers reach a REDIS_URL server (docker-compose); tests that use
    `redis_server.url` go through its Unix socket, as the embedded default's processes do."""
    client = redis.Redis.from_url(redis_server.tcp_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture()
def redis_url(redis_client: redis.Redis, redis_server: ServerInfo) -> str:
    return redis_server.tcp_url


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A real 3-master, 3-replica Redis Cluster on loopback ports, for this test session; its
    nodes are stopped at the end even when a test failed. A test that kills a node starts its
    own (`LocalCluster(tmp_path)` as a context manager) or revives the node before it ends."""
    with LocalCluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture()
def cluster_client(redis_cluster: LocalCluster) -> Iterator[redis.RedisCluster]:
    """A client of the session cluster, every master flushed before the test."""
    client = redis_cluster.client()
    client.flushall(target_nodes=redis.RedisCluster.PRIMARIES)
    yield client
    client.close()


@dataclass(frozen=True, slots=True)
class IndexTarget:
    """Where a test's index lives: `url` (one redis-server's, or a cluster's `redis+cluster://`),
    `client` on it (flushed), and the LSH tag groups the service uses there."""

    url: str
    client: RedisClient
    lsh_groups: int


@pytest.fixture(params=["redis", "cluster"])
def index_target(request: pytest.FixtureRequest) -> Iterator[IndexTarget]:
    """The test on the session redis-server, then on the session 3-master cluster."""
    if request.param == "redis":
        client: RedisClient = request.getfixturevalue("redis_client")
        yield IndexTarget(request.getfixturevalue("redis_server").tcp_url, client, 1)
        return
    cluster = request.getfixturevalue("redis_cluster")
    yield IndexTarget(cluster.url, request.getfixturevalue("cluster_client"), CLUSTER_LSH_GROUPS)
