"""The pieces every browser test shares: the web app served by uvicorn on a free loopback port,
and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright

from workers.redis.ports import free_port

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` on a free loopback port for the duration; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "chromium is not installed: run `make test` (it installs Debian's chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
