"""The study's shipped runs (``weights/runs/``): ``make runs`` copies them instead of training, they
are the runs the committed results were measured on, and copying never clobbers a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cinr_lab import experiments, metrics, nsynth, pretrained, rendering, runfolder, train
from cinr_lab.ops import ship

ROOT = Path(__file__).resolve().parents[1]
SCALE = experiments.DEFAULT_SCALE


def needed(runs: Path) -> list[Path]:
    """Every run folder ``cinr-lab runs`` asks for at the default scale (seed 0)."""
    paths = [
        experiments.run_path(runs, SCALE, s, a, 0) for s in nsynth.SETS for a in experiments.ARCHS
    ]
    paths += [experiments.sweep_path(runs, SCALE, o) for o in experiments.OMEGA_SWEEP]
    return list(dict.fromkeys(paths))


def committed_records() -> dict[tuple[str, str], dict]:
    lines = (ROOT / "results" / "runs.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return {(r["set"], r["arch"]): r for r in records if r["scale"] == SCALE and r["seed"] == 0}


def test_every_study_run_is_shipped_and_loads_without_training(
    embedded_home, tmp_path, monkeypatch
):
    runs = tmp_path / "runs"

    def no_training(*args, **kwargs):
        raise AssertionError("a shipped study run was trained again")

    monkeypatch.setattr(train.Trainer, "fit", no_training)
    for path in needed(runs):
        assert ship.restore(path, runs), f"{ship.study_copy(path, runs)}: not shipped"
    for set_name in nsynth.SETS:
        for arch in experiments.ARCHS:  # the exact configs the table and the notebooks ask for
            run = experiments.fit(SCALE, set_name, arch, 0, runs, progress=False)
            assert (
                run.step
                == experiments.train_config(experiments.SCALES[SCALE], arch, set_name, 0).steps
            )
    for omega in experiments.OMEGA_SWEEP:
        assert experiments.sweep_run(SCALE, omega, runs, progress=False).step > 0


@pytest.mark.parametrize("set_name", nsynth.SETS)
def test_shipped_runs_score_what_results_say(embedded_home, tmp_path, set_name):
    records = committed_records()
    truth = nsynth.load(subset=set_name, items=experiments.SCALES[SCALE].items).audio
    for arch in experiments.ARCHS:
        path = experiments.run_path(tmp_path, SCALE, set_name, arch, 0)
        run = rendering.load_run(ship.study_copy(path, tmp_path))
        estimate = run.render().numpy()
        expected = records[(set_name, arch)]
        assert metrics.mse(truth, estimate).mean() == pytest.approx(expected["mse"], rel=1e-3)
        assert metrics.snr(truth, estimate).mean() == pytest.approx(expected["snr"], abs=0.01)


FIT = "fit"
FLOAT16_SNR = 0.1
"""dB: the most float16 matrices may move a fitted note's SNR (the fit records were measured on
the float32 runs; ``tools/fit_runs.py ship`` exports float16 where the render stays within the
export's tolerance)."""
CHECKED = [0, 5, 10, 15]
"""The notes of each fit run rendered here (a quarter of its 16, so the test stays short)."""


def shipped_fit_runs(set_name: str, rows) -> dict:
    """(row, seed) -> the fit-scale run weights/runs/fit ships for that row and seed."""
    shipped = ROOT / "weights" / "runs"
    return {
        (row, seed): rendering.load_run(folder)
        for row in rows
        for seed in range(3)
        if (folder := experiments.run_path(shipped, FIT, set_name, row, seed)).is_dir()
    }


@pytest.mark.parametrize("set_name", nsynth.SETS)
def test_fit_runs_and_the_shipped_models_score_what_results_fit_says(embedded_home, set_name):
    """Every finished fit-scale run in weights/runs/fit, and the four package models that are
    copies of its seed-0 PCINR and TCNN (cinr_lab/weights/README.md), scores its record."""
    lines = (ROOT / "results" / FIT / "runs.jsonl").read_text().splitlines()
    records = {(r["set"], r["arch"], r["seed"]): r for r in map(json.loads, lines)}
    truth = nsynth.load(subset=set_name, items=experiments.SCALES[FIT].items).audio[CHECKED]
    found = {
        (set_name, *key): run for key, run in shipped_fit_runs(set_name, experiments.ARCHS).items()
    }
    assert {k for k in records if k[0] == set_name and k[1] in experiments.ARCHS} == set(found)
    for kind, arch in (("pcinr", "PCINR"), ("tcnn", "TCNN")):
        model = pretrained.load(f"{kind}-{set_name}")
        assert model.notes == found[set_name, arch, 0].notes
        found[f"{kind}-{set_name}", arch, 0] = model
    for (name, arch, seed), run in found.items():
        assert run.step == run.train_config.steps, name
        snr = metrics.snr(truth, run.render(CHECKED).numpy())
        expected = np.array(records[set_name, arch, seed]["per_note"]["snr"])[CHECKED]
        np.testing.assert_allclose(snr, expected, atol=FLOAT16_SNR, err_msg=f"{name} {arch} {seed}")


@pytest.mark.parametrize("set_name", nsynth.SETS)
def test_fit_variants_shipped_score_what_results_fit_beyond_says(embedded_home, set_name):
    """07's variants beyond Table 1's rows (FINER, Parallel, ...) at the fit scale: every
    finished run in weights/runs/fit scores its beyond record's mean per-note SNR, and the
    shipped set is the record set (Table 1's rows are the test above's)."""
    from cinr_lab import beyond

    path = ROOT / "results" / FIT / "beyond.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    records = {(r["variant"], r["seed"]): r for r in map(json.loads, lines)
               if r["set"] == set_name and "diverged" not in r}  # fmt: skip
    own = [v for v in beyond.VARIANTS if v not in experiments.ARCHS]
    truth = nsynth.load(subset=set_name, items=experiments.SCALES[FIT].items).audio
    found = shipped_fit_runs(set_name, own)
    assert {k for k in records if k[0] in own} == set(found)
    for (variant, seed), run in found.items():
        assert run.step == run.train_config.steps, variant
        snr = float(metrics.snr(truth, run.render().numpy()).mean())
        assert snr == pytest.approx(records[variant, seed]["snr"], abs=FLOAT16_SNR), variant


def test_restore_copies_only_into_an_empty_place(embedded_home, tmp_path, monkeypatch):
    monkeypatch.setenv("CINR_STUDY_RUNS", str(tmp_path / "weights" / "runs"))
    runs = tmp_path / "runs"
    path = runs / SCALE / "keyboard" / "PCINR-seed0"
    assert not ship.restore(path, runs)  # nothing shipped: the caller trains
    source = ROOT / "weights" / "runs" / SCALE / "keyboard" / "PCINR-seed0"
    shipped = ship.study_copy(path, runs)
    shipped.parent.mkdir(parents=True)
    shipped.symlink_to(source, target_is_directory=True)
    assert ship.restore(path, runs)
    assert rendering.load_run(path).step == rendering.load_run(source).step
    (path / "loss.csv").write_text("mine\n")
    assert not ship.restore(path, runs)  # a run is there: left alone
    assert (path / "loss.csv").read_text() == "mine\n"


def test_a_damaged_shipped_copy_is_an_error_not_a_retrain(tmp_path, monkeypatch):
    monkeypatch.setenv("CINR_STUDY_RUNS", str(tmp_path / "weights" / "runs"))
    runs = tmp_path / "runs"
    path = runs / SCALE / "keyboard" / "PCINR-seed0"
    shipped = ship.study_copy(path, runs)
    shipped.mkdir(parents=True)
    source = ROOT / "weights" / "runs" / SCALE / "keyboard" / "PCINR-seed0"
    (shipped / "config.json").write_text((source / "config.json").read_text())
    (shipped / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(runfolder.RunError, match="checkpoint"):
        ship.restore(path, runs)
    assert not path.exists()


def test_shipped_runs_hold_no_optimiser_state(tmp_path):
    study = sorted((ROOT / "weights" / "runs" / SCALE).rglob("checkpoint.pt"))
    assert len(study) == len(needed(tmp_path))  # nothing stale shipped beside them
    # The fit scale's finished runs are exported the same way (its unfinished ones, in
    # weights/runs/fit-pending/, keep their optimiser state to be resumed: tools/fit_runs.py).
    fit = sorted((ROOT / "weights" / "runs" / "fit").rglob("checkpoint.pt"))
    for ckpt in study + fit:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        # exported before checkpoints recorded their run ("run"), or since
        assert set(state) in (set(ship.KEEP), set(ship.KEEP) - {"run"}), ckpt
        assert np.isfinite(state["latents"].numpy()).all()


def test_restore_copies_nothing_trained_on_other_data(
    embedded_home, make_nsynth, tmp_path, monkeypatch
):
    """The shipped runs were trained on the embedded set: asked for runs on an NSynth folder,
    ``make runs`` trains them rather than copy runs of other data."""
    runs = tmp_path / "runs"
    path = runs / SCALE / "keyboard" / "PCINR-seed0"
    assert not ship.restore(path, runs, make_nsynth())
    monkeypatch.setenv("CINR_NSYNTH", str(tmp_path / "nsynth"))
    assert not ship.restore(path, runs)
    assert not path.exists()
    monkeypatch.delenv("CINR_NSYNTH")
    assert ship.restore(path, runs)  # the embedded set: the shipped run's own data
