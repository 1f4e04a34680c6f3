"""docker-compose.yml through a real compose parser (compose-spec: the Compose specification's
model, validated), after the variable interpolation `docker compose` does first. No engine runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import compose_spec
import pytest

from workers.settings import cluster_address, load_settings

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


APP_SERVICES = ("web", "worker", "scheduler")
NODES = tuple(f"redis-node-{n}" for n in range(1, 7))


def test_compose_file_is_valid_and_complete() -> None:
    spec, raw = load({"REDIS_PASSWORD": "pw"})
    plain = {name for name, service in raw["services"].items() if not service.get("profiles")}
    assert plain == {"redis", "web", "worker", "scheduler"}  # what `docker compose up` starts
    assert set(spec.services) == plain | set(NODES) | {"redis-cluster-create"}
    for name, service in raw["services"].items():
        one_shot = service.get("restart") == "no"
        assert one_shot or service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    redis_service = raw["services"]["redis"]
    command = " ".join(redis_service["command"])
    assert "--appendonly yes" in command and "--requirepass" in command and "noeviction" in command
    assert "ports" not in redis_service, "redis must not be published to the host"
    worker = raw["services"]["worker"]
    assert "container_name" not in worker and not worker.get("ports"), "worker must scale with --scale"
    assert raw["services"]["web"]["ports"]


def test_every_app_service_gets_valid_settings_from_its_environment(tmp_path: Path) -> None:
    _, raw = load({"REDIS_PASSWORD": "pw", "DEDUPCRAWL_TOKEN": "t"})
    for name in APP_SERVICES:
        env = {k: str(v) for k, v in raw["services"][name]["environment"].items()}
        assert env["REDIS_URL"] == "redis://:pw@redis:6379/0"
        settings = load_settings(env, check_home=False)
        assert settings.redis_url and settings.sites_file is not None
        assert settings.index_url is None  # the index on `redis` unless the cluster is asked for
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


def _cluster_url(password: str) -> str:
    """The DEDUPCRAWL_INDEX_URL the README gives for the cluster profile, with the password set."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r'DEDUPCRAWL_INDEX_URL="(redis\+cluster://[^"]+)"', readme)
    assert found, "the README gives no cluster DEDUPCRAWL_INDEX_URL"
    return found.group(1).replace("$REDIS_PASSWORD", password)


def test_the_cluster_profile_is_six_durable_nodes_made_a_cluster_once() -> None:
    _, raw = load({"REDIS_PASSWORD": "pw"})
    services = raw["services"]
    for name in NODES:
        node = services[name]
        command = " ".join(node["command"])
        assert node["profiles"] == ["cluster"] and "ports" not in node, name
        for option in ("--cluster-enabled yes", "--appendonly yes", "--appendfsync everysec", "noeviction"):
            assert option in command, (name, option)
        assert '--requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"' in command
        assert node["environment"] == {"NODE": name, "REDIS_PASSWORD": "pw"}
        assert node["volumes"] == [f"{name}:/data"] and name in raw["volumes"]
    create = services["redis-cluster-create"]
    script = create["command"][-1]
    assert create["profiles"] == ["cluster"] and create["restart"] == "no"
    assert "--cluster-replicas 1" in script and "for n in 1 2 3 4 5 6" in script
    assert set(create["depends_on"]) == set(NODES)
    for name in APP_SERVICES:
        waits = services[name]["depends_on"]["redis-cluster-create"]
        assert waits == {"condition": "service_completed_successfully", "required": False}


def test_the_readme_cluster_url_names_the_profile_nodes(tmp_path: Path) -> None:
    _, raw = load({"REDIS_PASSWORD": "pw", "DEDUPCRAWL_INDEX_URL": _cluster_url("pw")})
    for name in APP_SERVICES:
        env = {k: str(v) for k, v in raw["services"][name]["environment"].items()}
        settings = load_settings(env, check_home=False)
        assert settings.index_url is not None
        address = cluster_address(settings.index_url)
        assert address.password == "pw" and {host for host, _ in address.nodes} <= set(NODES)
        assert {port for _, port in address.nodes} == {6379}
