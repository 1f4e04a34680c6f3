"""Every command's error paths, run as a user runs them: one line on stderr, no traceback, and the
exit status the README's table gives for that kind of error (kept equal to workers.exit_codes)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_process import clean_env, run_cli
from workers.cli import app
from workers.exit_codes import MEANINGS, ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"
SITES = Path(__file__).resolve().parents[1] / "synthetic" / "fixture_web" / "sites.toml"
# Commands without an error path of their own to walk: `stop` only reports what it stopped, and
# `demo` owns its data directory and fixture web (its failures are those of crawl and worker).
NO_ERROR_PATH = {"stop", "demo"}


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: ExitCode
    says: str  # a fragment of the one error line
    env: tuple[tuple[str, str], ...] = ()


@pytest.fixture()
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def cases(tmp: Path, port: int) -> list[Case]:
    a_file = tmp / "page.html"
    a_file.write_text("<html><body><p>讲话</p></body></html>", encoding="utf-8")
    notes = tmp / "notes.txt"
    notes.write_text("not an import", encoding="utf-8")
    never = tmp / "never.toml"
    fixture_sites = SITES.read_text(encoding="utf-8")
    assert 'schedule = "0 3 * * *"' in fixture_sites
    never_fires = fixture_sites.replace('schedule = "0 3 * * *"', 'schedule = "0 0 31 2 *"')
    never.write_text(never_fires, encoding="utf-8")
    return [
        Case(("export", "--out", str(tmp / "missing" / "x.jsonl")), ExitCode.USAGE, "does not exist"),
        Case(("export", "--out", str(tmp)), ExitCode.USAGE, "is a directory"),
        Case(("export", "--out", str(a_file / "x.jsonl")), ExitCode.USAGE, "is not a directory"),
        Case(("export", "--out", "/proc/dedupcrawl-export.jsonl"), ExitCode.USAGE, "cannot write there"),
        Case(("export", "--format", "csv", "--out", str(tmp / "x.csv")), ExitCode.USAGE, "--format"),
        Case(("export",), ExitCode.USAGE, "--out"),
        Case(("schedule", "--sites", str(never)), ExitCode.USAGE, "never fires"),
        Case(("scheduler", "--sites", str(never)), ExitCode.USAGE, "never fires"),
        Case(("schedule",), ExitCode.USAGE, "no sites file"),
        Case(("serve", "--port", str(port)), ExitCode.USAGE, "taken"),
        Case(("extract", str(a_file), "--charset", "nosuch"), ExitCode.USAGE, "nosuch"),
        Case(("extract", str(tmp / "nope.html")), ExitCode.USAGE, "nope.html"),
        Case(("show", "no-such-id"), ExitCode.NOT_FOUND, "no-such-id"),
        Case(("trace", "no-such-id"), ExitCode.NOT_FOUND, "no-such-id"),
        Case(("template", "no-such-id"), ExitCode.NOT_FOUND, "no-such-id"),
        Case(("ops", "--requeue", "no-such-job"), ExitCode.NOT_FOUND, "no-such-job"),
        Case(("crawl", "no-such-site", "--sites", str(SITES)), ExitCode.USAGE, "no-such-site"),
        Case(("import", str(tmp / "missing.jsonl")), ExitCode.USAGE, "does not exist"),
        Case(("import", str(notes)), ExitCode.USAGE, "expected a .jsonl file"),
        Case(("clusters", "--min-size", "0"), ExitCode.USAGE, "--min-size"),
        Case(("worker", "--jobs-per-process", "0"), ExitCode.USAGE, "--jobs-per-process"),
        Case(("reindex", "--no-such-option"), ExitCode.USAGE, "--no-such-option"),
        Case(("no-such-command",), ExitCode.USAGE, "no-such-command"),
        Case(("-v", "-q", "status"), ExitCode.USAGE, "exclude"),
        Case(("status",), ExitCode.REDIS, "cannot reach REDIS_URL", (("REDIS_URL", "redis://127.0.0.1:1/0"),)),
        Case(("status",), ExitCode.USAGE, "DEDUPCRAWL_LOG_LEVEL", (("DEDUPCRAWL_LOG_LEVEL", "LOUD"),)),
    ]


def test_every_error_is_one_line_with_its_exit_code(redis_url: str, tmp_path: Path, taken_port: int) -> None:
    env = clean_env(REDIS_URL=redis_url, DEDUPCRAWL_HOME=str(tmp_path / "home"))
    walked = cases(tmp_path, taken_port)
    for case in walked:
        done = run_cli(*case.args, env={**env, **dict(case.env)}, timeout=60)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        shown = f"{case.args}: exit {done.returncode}, stderr {done.stderr[-1500:]!r}"
        assert "Traceback" not in done.stderr + done.stdout, shown
        assert len(lines) == 1 and lines[0].startswith("error: "), shown
        assert case.says in lines[0], shown
        assert done.returncode == case.code, shown
    commands = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
    assert commands - NO_ERROR_PATH <= {c.args[0] for c in walked}


def test_help_and_version() -> None:
    env = clean_env()
    version = run_cli("--version", env=env)
    assert version.returncode == 0 and re.fullmatch(r"dedupcrawl \d+\.\d+\.\d+\n", version.stdout)
    for args in (("-h",), ("export", "-h"), ("worker", "--help")):
        shown = run_cli(*args, env=env)
        assert shown.returncode == 0 and "Usage" in shown.stdout, args


def readme_exit_codes() -> dict[int, str]:
    """The README's exit-code table: `| 3 | meaning |` rows under `### Exit codes`."""
    section = README.read_text(encoding="utf-8").split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `?(\d+)`? \| (.+?) \|$", section, flags=re.M)
    return {int(code): meaning.strip() for code, meaning in rows}


def test_the_readme_exit_code_table_is_the_one_the_code_uses() -> None:
    assert readme_exit_codes() == {int(code): MEANINGS[code] for code in ExitCode}
    assert set(MEANINGS) == set(ExitCode)
