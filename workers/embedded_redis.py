"""The embedded default: one supervised redis-server per data directory, shared by leases.

Every dedupcrawl process that uses the embedded server holds a lease (a file named after its
pid in `leases/`). The first process starts the server; the last one to release its lease
stops it by pid. `dedupcrawl stop` stops it regardless of leases. Leases of processes that
died without releasing are swept at every acquire and release, all under one file lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from workers.redis_server import RedisServer, ServerInfo, ping, process_alive, stop_process


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.port = port
        self._state = data_dir / "server.json"
        self._leases = data_dir / "leases"

    def acquire(self) -> ServerInfo:
        """Start the server unless a live one is running, and take a lease on it."""
        with self._locked():
            info = self._running() or self._start()
            (self._leases / str(os.getpid())).write_text("")
            return info

    def release(self) -> None:
        """Drop this process's lease; stop the server when no live lease remains."""
        with self._locked():
            (self._leases / str(os.getpid())).unlink(missing_ok=True)
            info = self._running()
            if info and not self._live_leases():
                self._stop(info)

    def stop(self) -> ServerInfo | None:
        """Stop the server whatever leases remain; returns what was stopped."""
        with self._locked():
            info = self._running()
            if info:
                self._stop(info)
            for lease in self._leases.iterdir():
                lease.unlink(missing_ok=True)
            return info

    def running(self) -> ServerInfo | None:
        with self._locked():
            return self._running()

    def lease_holders(self) -> list[int]:
        with self._locked():
            return self._live_leases()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._leases.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "server.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _running(self) -> ServerInfo | None:
        if not self._state.exists():
            return None
        info = ServerInfo(**json.loads(self._state.read_text()))
        if process_alive(info.pid) and ping(info.port):
            return info
        if process_alive(info.pid):  # alive but deaf: do not leave it holding the AOF
            stop_process(info.pid)
        self._state.unlink(missing_ok=True)
        return None

    def _start(self) -> ServerInfo:
        info = RedisServer(self.data_dir, self.port).start()
        self._state.write_text(json.dumps(dataclasses.asdict(info)))
        return info

    def _stop(self, info: ServerInfo) -> None:
        stop_process(info.pid)
        self._state.unlink(missing_ok=True)

    def _live_leases(self) -> list[int]:
        live = []
        for lease in self._leases.iterdir():
            pid = int(lease.name) if lease.name.isdigit() else -1
            if pid > 0 and process_alive(pid):
                live.append(pid)
            else:
                lease.unlink(missing_ok=True)
        return sorted(live)
