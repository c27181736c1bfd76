"""The study's shipped runs (``models/study/``): ``make runs`` copies them instead of training, they
are the runs the committed results were measured on, and copying never clobbers a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cinr_lab import analysis, metrics, nsynth, pretrained, table, train

ROOT = Path(__file__).resolve().parents[1]
SCALE = table.DEFAULT_SCALE


def needed(runs: Path) -> list[Path]:
    """Every run folder ``cinr-lab runs`` asks for at the default scale (seed 0)."""
    paths = [table.run_path(runs, SCALE, s, a, 0) for s in nsynth.SETS for a in table.ARCHS]
    paths += [analysis.sweep_path(runs, SCALE, o) for o in analysis.OMEGA_SWEEP]
    return list(dict.fromkeys(paths))


def committed_records() -> dict[tuple[str, str], dict]:
    lines = (ROOT / "results" / "runs.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return {(r["set"], r["arch"]): r for r in records if r["scale"] == SCALE and r["seed"] == 0}


def test_every_study_run_is_shipped_and_loads_without_training(tmp_path, monkeypatch):
    runs = tmp_path / "runs"

    def no_training(*args, **kwargs):
        raise AssertionError("a shipped study run was trained again")

    monkeypatch.setattr(train.Trainer, "fit", no_training)
    for path in needed(runs):
        assert pretrained.restore(path, runs), f"{pretrained.study_copy(path, runs)}: not shipped"
    for set_name in nsynth.SETS:
        for arch in table.ARCHS:  # the exact configs the table and the notebooks ask for
            run = table.fit(SCALE, set_name, arch, 0, runs, progress=False)
            assert run.step == table.train_config(table.SCALES[SCALE], arch, set_name, 0).steps
    for omega in analysis.OMEGA_SWEEP:
        assert analysis.sweep_run(SCALE, omega, runs, progress=False).step > 0


@pytest.mark.parametrize("set_name", nsynth.SETS)
def test_shipped_runs_score_what_results_say(embedded_home, tmp_path, set_name):
    records = committed_records()
    truth = nsynth.load(subset=set_name, items=table.SCALES[SCALE].items).audio
    for arch in table.ARCHS:
        path = table.run_path(tmp_path, SCALE, set_name, arch, 0)
        run = train.load_run(pretrained.study_copy(path, tmp_path))
        estimate = run.render().numpy()
        expected = records[(set_name, arch)]
        assert metrics.mse(truth, estimate).mean() == pytest.approx(expected["mse"], rel=1e-3)
        assert metrics.snr(truth, estimate).mean() == pytest.approx(expected["snr"], abs=0.01)


def test_restore_copies_only_into_an_empty_place(tmp_path, monkeypatch):
    models = tmp_path / "models"
    monkeypatch.setenv("CINR_MODELS", str(models))
    runs = tmp_path / "runs"
    path = runs / "cpu" / "keyboard" / "PCINR-seed0"
    assert not pretrained.restore(path, runs)  # nothing shipped: the caller trains
    source = ROOT / "models" / "study" / "cpu" / "keyboard" / "PCINR-seed0"
    shipped = pretrained.study_copy(path, runs)
    shipped.parent.mkdir(parents=True)
    shipped.symlink_to(source, target_is_directory=True)
    assert pretrained.restore(path, runs)
    assert train.load_run(path).step == train.load_run(source).step
    (path / "loss.csv").write_text("mine\n")
    assert not pretrained.restore(path, runs)  # a run is there: left alone
    assert (path / "loss.csv").read_text() == "mine\n"


def test_a_damaged_shipped_copy_is_an_error_not_a_retrain(tmp_path, monkeypatch):
    models = tmp_path / "models"
    monkeypatch.setenv("CINR_MODELS", str(models))
    runs = tmp_path / "runs"
    path = runs / "cpu" / "keyboard" / "PCINR-seed0"
    shipped = pretrained.study_copy(path, runs)
    shipped.mkdir(parents=True)
    source = ROOT / "models" / "study" / "cpu" / "keyboard" / "PCINR-seed0"
    (shipped / "config.json").write_text((source / "config.json").read_text())
    (shipped / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(train.RunError, match="checkpoint"):
        pretrained.restore(path, runs)
    assert not path.exists()


def test_shipped_runs_hold_no_optimiser_state(tmp_path):
    checkpoints = sorted((ROOT / "models" / "study").rglob("checkpoint.pt"))
    assert len(checkpoints) == len(needed(tmp_path))  # nothing stale shipped beside them
    for ckpt in checkpoints:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        assert set(state) == set(pretrained.KEEP), ckpt
        assert np.isfinite(state["latents"].numpy()).all()
