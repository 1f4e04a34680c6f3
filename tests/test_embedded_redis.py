"""The embedded redis-server: shared by leases, stopped by the last process or `dedupcrawl stop`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from archive.keys import Keys
from synthetic.corpus import generate
from tests.cli_process import clean_env, run_cli
from tests.fault_rig import PREFIX, archive_imports, hand_off, settled, start_worker, stop_worker, wait_for
from workers.redis.connection import connection_url
from workers.redis.embedded_redis import EmbeddedRedis
from workers.redis.redis_server import process_alive
from workers.settings import load_settings

HOLDER = """
import sys
from workers.redis.connection import redis_connection
from workers.settings import load_settings
with redis_connection(load_settings()) as connection:
    print(connection.info("server")["process_id"], flush=True)
    sys.stdin.readline()
"""


@pytest.fixture()
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    EmbeddedRedis(tmp_path / "redis").stop()  # never leave a server behind a failed test


def _status(home: Path) -> dict[str, object]:
    result = run_cli("status", "--json", env=clean_env(DEDUPCRAWL_HOME=str(home)))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _start_holder(home: Path) -> tuple[subprocess.Popen[str], int]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=clean_env(DEDUPCRAWL_HOME=str(home)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    return holder, int(holder.stdout.readline())


def _wait_dead(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_status_reports_embedded_server_with_persistence(home: Path) -> None:
    report = _status(home)
    assert report["redis_mode"] == "embedded"
    assert report["persistence"] == {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "maxmemory-policy": "noeviction",
        "dir": str(home.resolve() / "redis"),
    }
    counts = {"documents": 0, "clusters": 0, "rejections": 0, "untraced": 0, "crawl_runs": 0}
    assert report["counts"] == counts
    assert set(report["queues"]) == {"ingest", "crawl", "trace"}  # type: ignore[arg-type]
    # status was the only user: the server is gone with it
    assert _wait_dead(int(report["redis_pid"]))  # type: ignore[arg-type]


def test_processes_share_one_server_until_the_last_one_stops(home: Path) -> None:
    holder, holder_pid_seen = _start_holder(home)
    first, second = _status(home), _status(home)
    assert first["redis_pid"] == second["redis_pid"] == holder_pid_seen
    assert holder.pid in first["lease_holders"]  # type: ignore[operator]
    assert process_alive(holder_pid_seen)  # the status commands leaving did not stop it
    holder.communicate("\n", timeout=30)
    assert _wait_dead(holder_pid_seen)


def test_stop_command_stops_server_despite_users(home: Path) -> None:
    holder, server_pid = _start_holder(home)
    result = run_cli("stop", env=clean_env(DEDUPCRAWL_HOME=str(home)))
    assert result.returncode == 0 and str(server_pid) in result.stdout
    assert _wait_dead(server_pid)
    holder.communicate("\n", timeout=30)
    assert not (home / "redis" / "server.json").exists()


def test_lease_of_a_killed_process_is_swept(home: Path) -> None:
    holder, server_pid = _start_holder(home)
    keeper = int((home / "redis" / "keeper.pid").read_text())
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # nobody released it: the keeper sweeps the dead lease, stops the server and itself
    assert _wait_dead(server_pid) and _wait_dead(keeper)
    assert not (home / "redis" / "server.json").exists()


def test_sigkilled_server_restarts_with_its_aof(home: Path) -> None:
    server = EmbeddedRedis(home / "redis")
    info = server.acquire()
    client = redis.Redis.from_url(info.url)
    client.set("kept", "written more than a second before the kill")
    client.rpush("kept:list", *range(100))
    time.sleep(1.5)  # appendfsync everysec: older writes are on disk
    os.kill(info.pid, signal.SIGKILL)
    assert _wait_dead(info.pid)
    restarted = server.acquire()  # the service notices the dead server and starts a new one
    assert restarted.pid != info.pid
    again = redis.Redis.from_url(restarted.url)
    assert again.get("kept") == b"written more than a second before the kill"
    assert again.llen("kept:list") == 100
    # Not kept: writes from the last second before a crash may be lost, and so are the
    # leases of processes that died; both are by design (AOF everysec, swept leases).
    server.release()
    assert _wait_dead(restarted.pid)


def test_local_clients_reach_the_server_by_its_socket_and_tcp(home: Path) -> None:
    odd = 'a "dir"?#%\\'  # quoted in redis.conf and in the socket's URL
    server = EmbeddedRedis(home / odd / "redis")
    info = server.acquire()
    try:
        assert info.socket == str(home.resolve() / odd / "redis" / "redis.sock")
        by_socket, by_tcp = redis.Redis.from_url(info.url), redis.Redis.from_url(info.tcp_url)
        settings = load_settings({"DEDUPCRAWL_HOME": str(home)})
        assert connection_url(by_socket, settings) == info.url  # what child processes are given
        by_socket.set("written", "over the socket")
        assert by_tcp.get("written") == b"over the socket"
        assert by_socket.connection_pool.connection_kwargs["path"] == info.socket  # not TCP
        assert server.running() == info  # what other processes read back from server.json
    finally:
        server.release()


def test_a_data_directory_too_long_for_a_socket_path_is_served_on_tcp_only(home: Path) -> None:
    deep = home / ("d" * 60) / ("e" * 60)  # sockaddr_un holds 107 bytes of path
    server = EmbeddedRedis(deep)
    info = server.acquire()
    try:
        assert info.socket is None
        assert info.url == info.tcp_url == f"redis://127.0.0.1:{info.port}/0"
        assert redis.Redis.from_url(info.url).ping()
    finally:
        server.release()


def test_a_killed_embedded_server_is_restarted_while_two_workers_ingest(home: Path) -> None:
    """No human step: the keeper restarts it within 5 s on its AOF, the workers resume."""
    captures = archive_imports(home, generate(120, seed=11))
    env = clean_env(DEDUPCRAWL_HOME=str(home), DEDUPCRAWL_KEY_PREFIX=PREFIX, DEDUPCRAWL_LOG_LEVEL="WARNING")
    server = EmbeddedRedis(home / "redis")
    workers = [start_worker(env, f"w{i}") for i in range(2)]
    try:
        wait_for(lambda: len(server.lease_holders()) == 2, 120, "both workers to hold a lease")
        first = server.running()
        assert first is not None
        connection = redis.Redis.from_url(first.url)
        names = {b"rq:worker:w0", b"rq:worker:w1"}
        wait_for(lambda: names <= set(connection.keys("rq:worker:*")), 120, "both workers to listen")
        hand_off(connection, captures)
        docs = Keys(PREFIX).docs
        wait_for(lambda: connection.zcard(docs) >= 5, 120, "the ingest under way", poll=0.01)
        assert connection.zcard(docs) < len(captures), "the ingest finished before the kill"
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: _restarted(server, first.pid), 5, "the keeper to restart redis-server", poll=0.05)
        restart_s = time.monotonic() - killed_at
        connection = redis.Redis.from_url(first.url)  # the same socket
        wait_for(lambda: settled(connection, len(captures)), 120, "the workers to resume and drain", poll=0.2)
        assert [w.poll() for w in workers] == [None, None]
        stored = {d.decode() for d in connection.zrange(docs, 0, -1)}
        assert len(stored) == len(captures) and connection.zcard(Keys(PREFIX).rejections) == 0
        log = (home / "redis" / "keeper.log").read_text()
        assert f"redis-server (pid {first.pid}) died; restarted as pid" in log, log
        assert restart_s < 5
        connection.close()
    finally:
        logs = [stop_worker(w) for w in workers]
    assert server.running() is None or server.lease_holders() == [], logs


def _restarted(server: EmbeddedRedis, killed: int) -> bool:
    info = server.running()
    return info is not None and info.pid != killed



def test_the_command_after_an_import_finds_the_server_loaded(home: Path) -> None:
    """Each command starts the embedded server anew once the last one stopped it; the server
    loads its AOF first, and a command that met 'Redis is loading the dataset in memory' failed
    (every `status` after a 100-document import did)."""
    corpus = home / "corpus.jsonl"
    docs = generate(100, seed=7)
    lines = (json.dumps({"url": d.url, "text": d.text}, ensure_ascii=False) + "\n" for d in docs)
    corpus.write_text("".join(lines), encoding="utf-8")
    env = clean_env(DEDUPCRAWL_HOME=str(home))
    assert run_cli("import", str(corpus), env=env, timeout=300).returncode == 0
    for _ in range(3):
        result = run_cli("status", "--json", env=env)
        assert result.returncode == 0, result.stderr[-500:]
        assert json.loads(result.stdout)["counts"]["documents"] == len(docs)
