"""The operations page in Debian's chromium: a worker killed with SIGKILL shows as dead, a failed
job's traceback shows and the Requeue button (with the token) puts it back on its queue, which
is then flagged as having jobs and no worker. Also: Chinese renders with real glyphs, not boxes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page
from rq import Queue, Worker

from tests.browser import chromium, served
from tests.cli_process import clean_env
from tests.engine_stack import stores
from tests.test_web_browser import ARTIFACTS
from tests.web_data import KEYS, build
from workers.redis.redis_server import ServerInfo
from workers.web import create_app

TOKEN = "ops-test-token"
SITES = Path(__file__).resolve().parents[1] / "synthetic" / "fixture_web" / "sites.toml"
# Two different hanzi and a code point no font has: with CJK fonts the hanzi differ from each
# other and from the missing-glyph box; without, all three render as the same box.
GLYPHS = ("讲", "话", "\U0010fffd")


@pytest.fixture()
def site(redis_server: ServerInfo, tmp_path: Path) -> Iterator[tuple[str, redis.Redis]]:
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    build(connection, tmp_path / "warc", n_docs=12)  # documents, removals and a rejection to list
    with served(
        create_app(stores(connection, KEYS, warc_dir=tmp_path / "warc"), tmp_path / "warc", TOKEN, SITES)
    ) as base:
        yield base, connection
    connection.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _worker_env(redis_url: str, home: Path) -> dict[str, str]:
    return clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(home), DEDUPCRAWL_KEY_PREFIX=KEYS.prefix)


def _fail_one_job(connection: redis.Redis, env: dict[str, str]) -> str:
    """A real burst worker runs a job whose function does not exist: it ends in the failed registry."""
    job = Queue("ingest", connection=connection).enqueue("workers.no_such_module.ingest", "doc-1")
    done = subprocess.run([sys.executable, "-m", "workers", "worker", "--burst", "--queues", "ingest",
                           "--jobs-per-process", "1"], env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert job.id in Queue("ingest", connection=connection).failed_job_registry
    return str(job.id)


def _kill_a_worker(connection: redis.Redis, env: dict[str, str]) -> str:
    """A real worker on the crawl queue, registered, then SIGKILLed: its registration stays behind."""
    name = "doomed-worker"
    command = [sys.executable, "-m", "workers", "worker", "--queues", "crawl", "--name", name,
               "--jobs-per-process", "1", "--maintenance-s", "600"]
    # Its own process group: RQ's scheduler process, forked from it, holds a copy of its Redis socket
    # and would keep its blocked BLMOVE alive (taking the next crawl job) unless killed with it.
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 60
    while name not in {w.name for w in Worker.all(connection=connection)} and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(10)
    assert name in {w.name for w in Worker.all(connection=connection)}
    return name


def test_dead_worker_failed_job_requeued(
    site: tuple[str, redis.Redis], browser: Browser, redis_server: ServerInfo, tmp_path: Path
) -> None:
    base, connection = site
    env = _worker_env(redis_server.url, tmp_path)
    job_id = _fail_one_job(connection, env)
    dead = _kill_a_worker(connection, env)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base + "/ops")
    assert page.locator("h1").inner_text() == "Operations"

    row = page.locator("#workers tr.worker", has_text=dead)
    assert row.locator("td.state").inner_text() == "dead" and "dead-row" in (row.get_attribute("class") or "")
    failed = page.locator(f'#failed tr.failed-job[data-job="{job_id}"]')
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ops.png"), full_page=True)  # tracebacks folded
    failed.locator("summary").click()
    assert "no_such_module" in failed.locator("pre").inner_text()  # the traceback

    failed.locator("form.requeue input[name=token]").fill(TOKEN)
    failed.locator("form.requeue button").click()
    page.wait_for_url("**/ops")
    assert page.locator("#failed tr.failed-job").count() == 0
    ingest = Queue("ingest", connection=connection)
    assert job_id in ingest.job_ids and job_id not in ingest.failed_job_registry
    # one job waiting, and the only worker of the crawl queue is dead, none listens to ingest
    flagged = page.locator("#queues tr.queue", has_text="ingest").locator("td.unattended")
    assert "no worker running" in flagged.inner_text()
    assert page.locator("#schedule tr", has_text="fixture-wenku").count() == 1
    assert page.locator("#rejections td", has_text="import:bad_json").count() == 1  # build()'s bad line


def test_requeue_needs_the_token(site: tuple[str, redis.Redis], browser: Browser, redis_server: ServerInfo,
                                 tmp_path: Path) -> None:
    base, connection = site
    job_id = _fail_one_job(connection, _worker_env(redis_server.url, tmp_path))
    page = browser.new_page()
    page.goto(base + "/ops")
    row = page.locator(f'#failed tr.failed-job[data-job="{job_id}"]')
    row.locator("form.requeue input[name=token]").fill("wrong")
    row.locator("form.requeue button").click()
    assert page.locator("h1").inner_text() == "Not allowed"
    assert job_id in Queue("ingest", connection=connection).failed_job_registry


def glyph_shots(page: Page, base: str) -> list[bytes]:
    """Screenshots of each of GLYPHS, drawn with the web UI's own stylesheet."""
    spans = "".join(f'<span id="g{i}" class="glyph">{g}</span> ' for i, g in enumerate(GLYPHS))
    page.set_content(
        f'<html lang="zh"><head><link rel="stylesheet" href="{base}/static/style.css">'
        "<style>.glyph { font-size: 64px; display: inline-block; }</style>"
        f"</head><body>{spans}</body></html>"
    )
    page.wait_for_load_state("networkidle")
    return [page.locator(f"#g{i}").screenshot() for i in range(len(GLYPHS))]


def test_chinese_renders_with_real_glyphs(site: tuple[str, redis.Redis], browser: Browser) -> None:
    first, second, missing = glyph_shots(browser.new_page(), site[0])
    assert first != second, "two different hanzi render identically: no CJK font (install fonts-noto-cjk)"
    assert missing not in (first, second), "hanzi render as the missing-glyph box: no CJK font"
