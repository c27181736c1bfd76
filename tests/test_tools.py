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


def test_per_note_gives_older_records_their_notes_snr_from_the_same_run(embedded_home, tmp_path):
    import json
    import shutil

    import numpy as np

    from cinr_lab import experiments, metrics, nsynth, rendering

    tiny = experiments.Scale(items=16, steps=2, batch=4, coords=200, cdpam_items=1)
    made = experiments.fit(tiny, "keyboard", "FINER", 0, runs=tmp_path / "runs", progress=False,
                           rows={"FINER": experiments.ARCHS["PCINR"]})  # fmt: skip
    path = experiments.run_path(tmp_path / "runs", "fit", "keyboard", "FINER", 0)
    path.parent.mkdir(parents=True)
    shutil.copytree(made.path, path)  # where the fit build keeps it
    truth = nsynth.load(None, subset="keyboard", items=16).audio
    snr = metrics.snr(truth, rendering.load_run(path).render().numpy())
    record = {"scale": "fit", "set": "keyboard", "variant": "FINER", "seed": 0,
              "snr": float(snr.mean())}  # fmt: skip
    records = tmp_path / "beyond.jsonl"
    records.write_text(json.dumps(record) + "\n")
    tool("fit_runs").per_note(records, tmp_path / "runs")
    (filled,) = [json.loads(x) for x in records.read_text().splitlines()]
    assert np.allclose(filled["per_note"]["snr"], snr) and len(snr) == 16
    records.write_text(json.dumps(record | {"snr": record["snr"] + 1}) + "\n")  # another run's
    with pytest.raises(SystemExit, match="not the run the record measured"):
        tool("fit_runs").per_note(records, tmp_path / "runs")
