"""docker-compose.yml through a real compose parser (compose-spec: the Compose specification's
model, validated), after the variable interpolation `docker compose` does first. No engine runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import compose_spec
import pytest

from workers.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $$ (a literal $)."""

    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = not current if op and op.startswith(":") else current is None
        if op and unset:
            if op.endswith("?"):
                raise ValueError(f"{name}: {arg}")
            return arg
        return current or ""

    return _VARIABLE.sub(value, text)


def load(env: Mapping[str, str]) -> tuple[Any, dict[str, Any]]:
    text = interpolate((ROOT / "docker-compose.yml").read_text(encoding="utf-8"), env)
    parsed = compose_spec.PyCompose.from_yaml(text)
    return parsed.to_spec(), parsed.to_dict()


def test_compose_file_is_valid_and_complete() -> None:
    spec, raw = load({"REDIS_PASSWORD": "pw"})
    assert set(spec.services) == {"redis", "web", "worker", "scheduler"}
    for name, service in raw["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    redis_service = raw["services"]["redis"]
    command = " ".join(redis_service["command"])
    assert "--appendonly yes" in command and "--requirepass" in command and "noeviction" in command
    assert "ports" not in redis_service, "redis must not be published to the host"
    worker = raw["services"]["worker"]
    assert "container_name" not in worker and not worker.get("ports"), "worker must scale with --scale"
    assert raw["services"]["web"]["ports"]


def test_every_app_service_gets_valid_settings_from_its_environment(tmp_path: Path) -> None:
    _, raw = load({"REDIS_PASSWORD": "pw", "DEDUPCRAWL_TOKEN": "t"})
    for name in ("web", "worker", "scheduler"):
        env = {k: str(v) for k, v in raw["services"][name]["environment"].items()}
        assert env["REDIS_URL"] == "redis://:pw@redis:6379/0"
        settings = load_settings(env, check_home=False)
        assert settings.redis_url and settings.sites_file is not None
    assert load_settings({k: str(v) for k, v in raw["services"]["web"]["environment"].items()},
                         check_home=False).token == "t"


@pytest.mark.parametrize("broken", ["    bogus: 1\n", "    ports: [\"abc:def\"]\n"])
def test_the_parser_rejects_what_compose_rejects(broken: str) -> None:
    text = interpolate((ROOT / "docker-compose.yml").read_text(encoding="utf-8"), {"REDIS_PASSWORD": "pw"})
    with pytest.raises(ValueError):
        compose_spec.PyCompose.from_yaml(text.replace("  worker:\n", "  worker:\n" + broken))


def test_a_missing_password_stops_compose() -> None:
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        load({})


def test_dockerfile_runs_the_cli() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["dedupcrawl"\]', dockerfile, re.M)
    for path in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / path).exists(), path
