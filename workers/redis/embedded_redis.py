"""The embedded default: one supervised redis-server per data directory, shared by leases.

Every dedupcrawl process that uses the embedded server holds a lease (a file named after its
pid in `leases/`). The first process starts the server and its keeper; the last one to release
its lease stops it by pid. `dedupcrawl stop` stops it regardless of leases. Leases of processes
that died without releasing are swept at every acquire and release, all under one file lock.

The keeper (`python -m workers.redis.embedded_redis DIR`, a process of its own session) owns the
server for as long as a live lease exists: it restarts a server that died (same data directory,
so its AOF is replayed; same port and socket, so clients reconnect by themselves) within
KEEP_INTERVAL_S plus the start, logs it to `keeper.log`, and stops the server and itself once no
live lease remains (a killed last holder included).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from workers.errors import ServiceError
from workers.redis.ports import port_is_free
from workers.redis.redis_server import (
    RedisServer,
    ServerInfo,
    ping,
    process_alive,
    read_pid,
    stop_process,
    wait_loaded,
)

KEEP_INTERVAL_S = 0.5
PORT_WAIT_S = 1.0
logger = logging.getLogger(__name__)


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.port = port
        self._state = data_dir / "server.json"  # the server that should run; removed by a stop
        self._leases = data_dir / "leases"
        self._keeper = data_dir / "keeper.pid"

    def acquire(self) -> ServerInfo:
        """Start the server unless a live one is running, and take a lease on it."""
        with self._locked():
            info = self._running() or self._start()
            wait_loaded(info)
            (self._leases / str(os.getpid())).write_text("")
            self._ensure_keeper()
            return info

    def release(self) -> None:
        """Drop this process's lease; stop the server when no live lease remains."""
        with self._locked():
            (self._leases / str(os.getpid())).unlink(missing_ok=True)
            if not self._live_leases():
                self._stop()

    def stop(self) -> ServerInfo | None:
        """Stop the server (and its keeper) whatever leases remain; returns what was stopped."""
        with self._locked():
            info = self._running()
            self._stop()
            for lease in self._leases.iterdir():
                lease.unlink(missing_ok=True)
            keeper = read_pid(self._keeper)
            self._keeper.unlink(missing_ok=True)
            if keeper and keeper != os.getpid():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(keeper, signal.SIGTERM)
            return info

    def running(self) -> ServerInfo | None:
        with self._locked():
            return self._running()

    def lease_holders(self) -> list[int]:
        with self._locked():
            return self._live_leases()

    def keep(self) -> None:
        """The keeper's loop: revive a dead server while leases live, then stop it and return."""
        while self.data_dir.is_dir():  # a data directory deleted under us is nothing to keep
            try:
                if not self._keep_once():
                    return
            except OSError as exc:  # e.g. a full disk: keep watching, the next pass may succeed
                logger.error("keeping redis-server: %s", exc)
            time.sleep(KEEP_INTERVAL_S)

    def _keep_once(self) -> bool:
        with self._locked():
            if read_pid(self._keeper) != os.getpid():
                return False  # stopped (`dedupcrawl stop`) or replaced
            if not self._live_leases():
                self._stop()
                self._keeper.unlink(missing_ok=True)
                logger.info("no process holds a lease: redis-server stopped")
                return False
            self._revive()
            return True

    def _revive(self) -> None:
        expected = self._expected()
        if expected is None or self._running():
            return
        try:
            info = self._start()
        except ServiceError as exc:
            logger.error("redis-server (pid %s) died and did not restart: %s", expected.pid, exc)
            return
        logger.warning(
            "redis-server (pid %s) died; restarted as pid %s on port %s, its AOF replayed",
            expected.pid, info.pid, info.port,
        )  # fmt: skip

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._leases.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "server.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _expected(self) -> ServerInfo | None:
        if not self._state.exists():
            return None
        return ServerInfo(**json.loads(self._state.read_text()))

    def _running(self) -> ServerInfo | None:
        info = self._expected()
        if info is None:
            return None
        if process_alive(info.pid) and ping(info.port):
            return info
        if process_alive(info.pid):  # alive but deaf: do not leave it holding the AOF
            stop_process(info.pid)
        return None

    def _start(self) -> ServerInfo:
        """A new server; on the port of the one it replaces once that port is free again, so TCP
        clients find it (local clients reach it by its socket whatever the port)."""
        previous = self._expected()
        reuse = previous is not None and _port_freed(previous.port)
        info = RedisServer(self.data_dir, previous.port if previous and reuse else self.port).start()
        self._state.write_text(json.dumps(dataclasses.asdict(info)))
        return info

    def _stop(self) -> None:
        info = self._expected()
        if info and process_alive(info.pid):
            stop_process(info.pid)
        self._state.unlink(missing_ok=True)

    def _ensure_keeper(self) -> None:
        keeper = read_pid(self._keeper)
        if keeper and process_alive(keeper):
            return
        data_dir = str(self.data_dir.resolve())
        command = [sys.executable, "-m", "workers.redis.embedded_redis", data_dir, str(self.port)]
        with (self.data_dir / "keeper.log").open("a") as log:
            # Its own session: a signal to the holder's process group does not reach it.
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        self._keeper.write_text(str(process.pid))

    def _live_leases(self) -> list[int]:
        live = []
        for lease in self._leases.iterdir():
            pid = int(lease.name) if lease.name.isdigit() else -1
            if pid > 0 and process_alive(pid):
                live.append(pid)
            else:
                lease.unlink(missing_ok=True)
        return sorted(live)


def _port_freed(port: int, wait_s: float = PORT_WAIT_S) -> bool:
    """True once `port` can be bound again; a killed server's port was seen taken for a while
    after its death (tests/test_embedded_redis.py failed half its runs without this)."""
    deadline = time.monotonic() + wait_s
    while not port_is_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def main(argv: list[str]) -> None:
    """The keeper process: `python -m workers.redis.embedded_redis DATA_DIR [PORT]`."""
    log_format = "%(asctime)s keeper[%(process)d] %(levelname)s %(message)s"
    logging.basicConfig(level=logging.INFO, format=log_format)
    data_dir, port = Path(argv[0]), int(argv[1]) if len(argv) > 1 else 0
    deadline = time.monotonic() + 10
    # The process that started us writes our pid under the lock it holds: wait to see it.
    while read_pid(data_dir / "keeper.pid") != os.getpid() and time.monotonic() < deadline:
        time.sleep(0.05)
    EmbeddedRedis(data_dir, port).keep()


if __name__ == "__main__":
    main(sys.argv[1:])
