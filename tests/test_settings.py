"""Settings are validated up front and a bad one gives one line naming it, not a traceback."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli_process import clean_env, run_cli
from workers.engine import CLUSTER_LSH_GROUPS, CLUSTER_PASSAGE_GROUPS
from workers.errors import SettingsError
from workers.settings import ENGINE, load_settings


def test_defaults_resolve_under_home(tmp_path: Path) -> None:
    settings = load_settings({"DEDUPCRAWL_HOME": str(tmp_path / "h")})
    assert settings.home == (tmp_path / "h").resolve()
    assert settings.redis_dir == settings.home / "redis"
    assert settings.embedded and settings.key_prefix == "dc"
    assert settings.engine == ENGINE and settings.engine.candidate_cache_bytes == 48 * 2**20


def test_the_archive_is_under_home_unless_a_shared_path_is_set(tmp_path: Path) -> None:
    home = {"DEDUPCRAWL_HOME": str(tmp_path / "h")}
    assert load_settings(home).warc_dir == (tmp_path / "h" / "warc").resolve()
    shared = load_settings({**home, "DEDUPCRAWL_ARCHIVE_DIR": str(tmp_path / "nfs")})
    assert shared.warc_dir == (tmp_path / "nfs").resolve() and shared.warc_dir.is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(SettingsError) as raised:
        load_settings({"DEDUPCRAWL_HOME": str(tmp_path), "DEDUPCRAWL_ARCHIVE_DIR": str(tmp_path / "file")})
    assert raised.value.setting == "DEDUPCRAWL_ARCHIVE_DIR"


def test_only_the_cache_sizes_of_the_engine_comes_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings({"DEDUPCRAWL_HOME": str(tmp_path), "DEDUPCRAWL_CANDIDATE_CACHE_MB": "0"})
    assert settings.engine == replace(ENGINE, candidate_cache_bytes=0)
    env = {"DEDUPCRAWL_HOME": str(tmp_path), "DEDUPCRAWL_TEXT_CACHE_MB": "3"}
    assert load_settings(env).engine == replace(ENGINE, text_cache_bytes=3 * 2**20)


def test_an_index_on_a_cluster_splits_its_lsh_and_passage_indexes_into_tag_groups(tmp_path: Path) -> None:
    home = {"DEDUPCRAWL_HOME": str(tmp_path)}
    cluster = load_settings({**home, "DEDUPCRAWL_INDEX_URL": "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"})
    plain = load_settings({**home, "DEDUPCRAWL_INDEX_URL": "redis://127.0.0.1:7000"})
    grouped = replace(ENGINE, lsh_groups=CLUSTER_LSH_GROUPS, passage_groups=CLUSTER_PASSAGE_GROUPS)
    assert cluster.engine == grouped
    assert CLUSTER_LSH_GROUPS > 1 and CLUSTER_PASSAGE_GROUPS > 1
    assert plain.engine == load_settings(home).engine == ENGINE
    assert ENGINE.lsh_groups == ENGINE.passage_groups == 1


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://localhost:notaport"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://:6379"}, "REDIS_URL"),
        ({"DEDUPCRAWL_REDIS_PORT": "70000"}, "DEDUPCRAWL_REDIS_PORT"),
        ({"DEDUPCRAWL_WEB_PORT": "web"}, "DEDUPCRAWL_WEB_PORT"),
        ({"DEDUPCRAWL_KEY_PREFIX": "a:b"}, "DEDUPCRAWL_KEY_PREFIX"),
        ({"DEDUPCRAWL_LOG_LEVEL": "LOUD"}, "DEDUPCRAWL_LOG_LEVEL"),
        ({"DEDUPCRAWL_CANDIDATE_CACHE_MB": "-1"}, "DEDUPCRAWL_CANDIDATE_CACHE_MB"),
        ({"DEDUPCRAWL_CANDIDATE_CACHE_MB": "many"}, "DEDUPCRAWL_CANDIDATE_CACHE_MB"),
        ({"DEDUPCRAWL_TEXT_CACHE_MB": "-2"}, "DEDUPCRAWL_TEXT_CACHE_MB"),
        ({"DEDUPCRAWL_DEFER_TRACE": "later"}, "DEDUPCRAWL_DEFER_TRACE"),
    ],
)
def test_bad_values_name_the_setting(tmp_path: Path, env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"DEDUPCRAWL_HOME": str(tmp_path), **env})
    assert raised.value.setting == setting
    assert str(raised.value).startswith(f"{setting}: ")


def _assert_one_line_error(result_stderr: str, setting: str) -> None:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    assert lines[0].startswith(f"error: {setting}: ")
    assert "Traceback" not in result_stderr


def test_cli_unparseable_redis_url(tmp_path: Path) -> None:
    result = run_cli("status", env=clean_env(DEDUPCRAWL_HOME=str(tmp_path), REDIS_URL="redis://h:99999"))
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "REDIS_URL")


def test_cli_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_cli("status", env=clean_env(DEDUPCRAWL_HOME=str(blocker / "home")))
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "DEDUPCRAWL_HOME")


def test_cli_occupied_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(DEDUPCRAWL_HOME=str(tmp_path), DEDUPCRAWL_REDIS_PORT=str(port))
        result = run_cli("status", env=env)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "DEDUPCRAWL_REDIS_PORT")
