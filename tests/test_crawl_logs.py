"""A crawl's Scrapy log goes to its own file under the data directory (to stderr only with -v),
log files are rotated, and the fixture web's sites file works exactly as the README shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from synthetic.fixture_web.process import FixtureServer
from synthetic.fixture_web.server import DEFAULT_PORT
from tests.cli_process import clean_env, run_cli
from workers.flow import crawl_logs

REPO = Path(__file__).resolve().parents[1]
SCRAPY_LINE = "[scrapy."


def test_scrapy_log_goes_to_the_runs_file_unless_verbose(redis_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_url)
    with FixtureServer(docs=6, seed=5, crawl_delay=0.05, slow_s=0.1) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        quiet = run_cli("crawl", "fixture-news", "--sites", str(sites), "--json", env=env)
        loud = run_cli("-v", "crawl", "fixture-news", "--sites", str(sites), "--json", env=env)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr[-2000:] + loud.stderr[-2000:]
    assert SCRAPY_LINE not in quiet.stderr
    run = json.loads(quiet.stdout)
    log = Path(run["log_file"])
    assert log == crawl_logs.log_path(home, run["run_id"]) and SCRAPY_LINE in log.read_text(encoding="utf-8")
    assert sum(SCRAPY_LINE in line for line in loud.stderr.splitlines()) >= 10
    assert json.loads(loud.stdout)["log_file"] is None


def test_old_logs_are_rotated(tmp_path: Path) -> None:
    folder = crawl_logs.log_dir(tmp_path)
    folder.mkdir(parents=True)
    for n in range(5):
        path = folder / f"run-{n}.log"
        path.write_text("x")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    crawl_logs.prepare(tmp_path, "run-new", keep=3)
    assert sorted(p.name for p in folder.iterdir()) == ["run-3.log", "run-4.log"]  # and run-new to come


def test_the_fixture_sites_file_runs_as_the_readme_shows(redis_url: str, tmp_path: Path) -> None:
    """`python -m synthetic.fixture_web` then `dedupcrawl crawl fixture-wenku --sites
    synthetic/fixture_web/sites.toml`, from the repository, as the README says."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "crawl fixture-wenku --sites\nsynthetic/fixture_web/sites.toml" in readme
    web = subprocess.Popen([sys.executable, "-m", "synthetic.fixture_web", "--docs", "6"], cwd=REPO,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        hello = json.loads(web.stdout.readline() if web.stdout else "{}")
        assert hello.get("url") == f"http://127.0.0.1:{DEFAULT_PORT}", f"port {DEFAULT_PORT} is taken?"
        env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=redis_url)
        done = subprocess.run([sys.executable, "-m", "workers", "crawl", "fixture-wenku", "--sites",
                               "synthetic/fixture_web/sites.toml", "--json"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    finally:
        web.terminate()
        web.wait(10)
    assert done.returncode == 0, done.stderr[-2000:]
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded" and run["stats"]["handed_off"] > 0, run
