"""The package's shape (issue 28): a thin study, the workshop in ``cinr_lab.ops`` that the study
never imports, no import cycle, and a training module small enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cinr_lab"
ENTRY = {"__main__"}  # ``python -m cinr_lab`` starts the command line: the one way in to ops


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every module of the package → the package modules it imports, at any depth of its code
    (imports inside functions count: they run too)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("cinr_lab")
            ):
                base = node.module.removeprefix("cinr_lab").lstrip(".")
                for alias in node.names:  # ``from cinr_lab.ops import race``: a module
                    child = f"{base}.{alias.name}".lstrip(".")
                    deps.add(child if child in modules else base)
            elif isinstance(node, ast.Import):
                deps |= {a.name.removeprefix("cinr_lab.") for a in node.names
                         if a.name.startswith("cinr_lab.")}  # fmt: skip
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_the_walk_sees_the_package():
    graph = imports()
    assert {"train", "runfolder", "rendering", "recipes", "ops.cli", "ops.builds"} <= set(graph)
    assert "rendering" in graph["train"] and "ops.jobs" in graph["ops.builds"]


def test_no_import_cycle():
    graph = imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_study_never_imports_the_workshop():
    graph = imports()
    study = [m for m in graph if not m.startswith("ops") and m not in ENTRY]
    offenders = {m: sorted(d for d in graph[m] if d.startswith("ops")) for m in study}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_the_study_is_thin_and_train_py_readable():
    study = [p for p in PACKAGE.glob("*.py")]
    lines = sum(len(p.read_text().splitlines()) for p in study)
    assert lines < 7000, f"the study's modules hold {lines} lines"
    train = PACKAGE / "train.py"
    assert len(train.read_text().splitlines()) <= 600
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(train.read_text()))
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60
    ]
    assert long == []
