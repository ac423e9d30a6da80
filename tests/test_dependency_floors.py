"""The lowest versions pyproject.toml allows are the ones `make test-min` installs and tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return {canonicalize_name(req.name): req for req in map(Requirement, lines)}


def pinned() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "requirements" / "minimum.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            found[canonicalize_name(name)] = Version(version)
    return found


def floor(requirement: Requirement) -> Version | None:
    return next((Version(spec.version) for spec in requirement.specifier if spec.operator == ">="), None)


def test_every_dependency_has_a_floor_and_minimum_txt_pins_exactly_that_floor():
    requirements, pins = declared(), pinned()
    assert set(pins) == set(requirements), "requirements/minimum.txt must pin every dependency, and only those"
    wrong = {name: (str(floor(req)), str(pins[name])) for name, req in requirements.items() if floor(req) != pins[name]}
    assert wrong == {}, "floor in pyproject.toml != pin in requirements/minimum.txt"


def test_every_pinned_floor_is_allowed_by_its_ceiling():
    pins = pinned()
    assert [name for name, req in declared().items() if pins[name] not in req.specifier] == []
