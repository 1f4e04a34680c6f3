"""`dedupcrawl crawl SITE` as a user runs it: settings from the environment, a real crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from crawler.runs import RunStore
from synthetic.fixture_web.process import FixtureServer
from tests.cli_process import clean_env, run_cli
from workers.commands.crawl import show_run
from workers.errors import ServiceError
from workers.flow.crawls import site_sites_file


def test_crawl_command_runs_one_crawl_and_prints_its_record(redis_url: str, tmp_path: Path) -> None:
    with FixtureServer(docs=6, seed=5, crawl_delay=0.05, slow_s=0.1) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        env = clean_env(
            DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=redis_url, DEDUPCRAWL_LOG_LEVEL="WARNING"
        )
        done = run_cli("crawl", "fixture-news", "--sites", str(sites), "--json", env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        run = json.loads(done.stdout)
        assert run["site"] == "fixture-news" and run["status"] == "succeeded"
        assert run["stats"]["handed_off"] == run["stats"]["documents"] > 0
        assert list((tmp_path / "home" / "warc" / "fixture-news").glob("*.warc.gz"))


def test_run_is_shown_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    run = {"run_id": "r1", "site": "news", "status": "failed", "verdict": "no responses"}
    run |= {"started_at": "2024-01-01T00:00:00", "finished_at": "2024-01-01T00:01:00"}
    run["stats"] = {"pages": 0, "skipped_unchanged": 4, "errors": {"refused:private_address": 1}}
    show_run(run)
    shown = capsys.readouterr().out
    assert (
        "failed: no responses" in shown
        and "skipped unchanged" in shown
        and "refused:private_address 1" in shown
    )


def test_crawl_command_names_a_missing_sites_file(redis_url: str, tmp_path: Path) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=redis_url)
    missing = run_cli("crawl", "news", env=env)
    assert missing.returncode == 2 and "DEDUPCRAWL_SITES" in missing.stderr


def test_bad_site_or_sites_file_is_one_clear_error(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(
        '[[site]]\nname = "a"\nkind = "news"\nstart_urls = ["https://a.cn/"]\ndocument_patterns = ["x"]\n'
    )
    with pytest.raises(ServiceError, match="no site 'nope'"):
        site_sites_file(sites, "nope")
    sites.write_text('[[site]]\nname = "a"\nkind = "blog"\n')
    with pytest.raises(ServiceError, match="site 'a' field 'kind'"):
        site_sites_file(sites, "a")


def test_scrapy_crawl_site_works_with_the_project_settings(redis_url: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent  # scrapy.cfg points at crawler.settings
    with FixtureServer(docs=6, seed=5, crawl_delay=0.05, slow_s=0.1) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        values = {
            "DC_SITES_FILE": sites,
            "DC_REDIS_URL": redis_url,
            "DC_WARC_DIR": tmp_path / "warc",
            "DC_RUN_ID": "r1",
        }
        options = [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]
        listed = subprocess.run(
            [sys.executable, "-m", "scrapy", "list", *options],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert listed.stdout.split() == [
            "fixture-bad",
            "fixture-gov",
            "fixture-news",
            "fixture-noallow",
            "fixture-wenku",
        ], listed.stderr[-2000:]
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "fixture-gov", *options],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        run = RunStore(redis.Redis.from_url(redis_url), "dc").load("r1")
        assert run is not None and run.succeeded and run.stats.handed_off > 0
        assert "TelnetConsole" not in done.stderr and "RemoteControl" not in done.stderr
        assert "crawler.middlewares.PoliteRobotsMiddleware" in done.stderr


def test_crawl_process_refuses_to_start_without_redis(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples" / "sites.toml"
    command = [sys.executable, "-m", "crawler.run", "--site", "news-example", "--sites-file", str(examples)]
    command += ["--redis-url", "redis://127.0.0.1:1/0", "--warc-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2 and "cannot reach Redis" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing fetched, nothing archived
