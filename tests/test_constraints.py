"""constraints.txt, the lock `make install` reads: it must pin every package pyproject.toml declares,
at a version pyproject allows, or a fresh machine installs something no test has run against."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("==", 1) for line in lines if line and not line.startswith("#"))
    return {canonicalize_name(name): version for name, version in pairs}


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    texts = [*project["dependencies"], *extras["dev"], *extras["bench"]]
    return [Requirement(text) for text in texts]


def test_every_declared_package_is_pinned_within_its_range() -> None:
    pinned = pins()
    unpinned = [str(req) for req in declared() if canonicalize_name(req.name) not in pinned]
    assert not unpinned, f"not in constraints.txt (run `make lock`): {unpinned}"
    outside = {
        str(req): pinned[canonicalize_name(req.name)]
        for req in declared()
        if not req.specifier.contains(pinned[canonicalize_name(req.name)], prereleases=True)
    }
    assert not outside, f"pinned outside pyproject's range (run `make lock`): {outside}"


def test_every_line_is_a_pin() -> None:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    loose = [line for line in lines if line and not line.startswith("#") and "==" not in line]
    assert not loose, loose
