"""The maintenance scripts in tools/ still run against the package they call (a refactor that
moves a module breaks them silently otherwise: tools/determinism_audit.py's training broke so)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(TOOLS.glob("*.py")), ids=lambda p: p.name)
def test_every_tool_imports(path):
    tool(path.stem)


def test_the_determinism_audit_trains_its_run(embedded_home, tmp_path):
    from cinr_lab import rendering

    audit = tool("determinism_audit")
    audit.train_once(tmp_path / "run", 1, 2)  # in a fresh process, as the audit does
    run = rendering.load_run(tmp_path / "run", device="cpu")
    assert run.step == 2 and run.train_config.model == "pcinr"
