"""Run the fixture web in its own process on a free port (like scrapy's mockserver)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from synthetic.errors import FixtureWebError
from synthetic.fixture_web.server import DEFAULT_PORT

SITES_TEMPLATE = Path(__file__).resolve().parent / "sites.toml"
# The address the sites file names: a server started by hand (`python -m synthetic.fixture_web`).
DEFAULT_BASE = f"http://127.0.0.1:{DEFAULT_PORT}"


class FixtureServer:
    """`with FixtureServer(docs=30) as web:` — `web.url`, `web.log()`, `web.set_changed(True)`.

    `warm=True` renders every page before serving, so the first crawl does not pay for it."""

    def __init__(
        self, docs: int = 30, seed: int = 7, crawl_delay: float = 0.1, slow_s: float = 1.0, warm: bool = False
    ) -> None:
        self._args = [
            "--port", "0", "--docs", str(docs), "--seed", str(seed),
            "--crawl-delay", str(crawl_delay), "--slow-s", str(slow_s),
        ] + (["--warm"] if warm else [])  # fmt: skip
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.documents = 0

    def start(self) -> FixtureServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synthetic.fixture_web", *self._args],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line:
            self.stop()
            raise FixtureWebError("the fixture web did not start")
        hello = json.loads(line)
        self.url, self.documents = hello["url"], int(hello["documents"])
        return self

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def log(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request the server got since the last clear: path, time, validators, UA."""
        return list(self._control("GET", "/_fixture/log" + ("?clear=1" if clear else "")))

    def set_changed(self, on: bool) -> None:
        self._control("POST", f"/_fixture/change?on={int(on)}")

    def truth(self) -> dict[str, dict[str, Any]]:
        return dict(self._control("GET", "/_fixture/truth"))

    def sites_toml(self) -> str:
        return sites_toml(self.url)

    def write_sites(self, path: Path) -> Path:
        path.write_text(self.sites_toml(), encoding="utf-8")
        return path

    def _control(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.url + path, method=method)  # noqa: S310 - our server
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())


def sites_toml(base_url: str) -> str:
    """The fixture web's sites file, pointing at a server on `base_url`."""
    return SITES_TEMPLATE.read_text(encoding="utf-8").replace(DEFAULT_BASE, base_url.rstrip("/"))
