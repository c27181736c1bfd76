"""pyproject.toml, environment.yml and requirements.lock name the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PYPI = {"pytorch": "torch", "pysoundfile": "soundfile", "soxr-python": "soxr"}
# What conda needs beyond the pip list: the interpreter, pip itself, and pyaudio, which conda-forge
# builds and tinysoundfont declares (pip installs from the lock skip it: it is for live playback).
CONDA_ONLY = {"python", "pip", "pyaudio"}


def pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras]


def conda_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section
            names |= {Requirement(d).name for d in dep["pip"] if not d.startswith("-")}
        else:
            names.add(re.split(r"[<>=!\s]", dep, maxsplit=1)[0])
    return {canonicalize_name(CONDA_TO_PYPI.get(n, n)) for n in names}


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_environment_yml_lists_the_pyproject_packages():
    wanted = {canonicalize_name(r.name) for r in pyproject_requirements()}
    assert conda_names() - CONDA_ONLY == wanted


def test_lock_pins_every_dependency_within_its_range():
    pins = locked()
    for req in pyproject_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"requirements.lock lacks {req.name}"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


def test_lock_leaves_out_playback_only_pyaudio():
    assert "pyaudio" not in locked()
