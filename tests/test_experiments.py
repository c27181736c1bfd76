"""Experiments: scales, the Table 1 grid, the ω sweep, run folders, and ``train --preset``."""

from __future__ import annotations

import pytest

from cinr_lab import experiments, models, recipes, rendering
from cinr_lab.ops.cli import build_parser, main


@pytest.mark.parametrize("name", list(experiments.SCALES))
def test_scales_train_every_row_as_its_recipe_says(name):
    scale = experiments.SCALES[name]
    configs = [experiments.train_config(name, arch, "keyboard", 0) for arch in experiments.ARCHS]
    assert [c.model for c in configs] == ["tcnn", "pcinr", "pcinr-wide", "pcinr", "pcinr"]
    assert [c.weight_decay > 0 for c in configs] == [False, False, False, True, False]
    paper, ours = configs[1], configs[4]
    assert paper.optimizer == ours.optimizer == "adabelief" and paper.latent_update == "sgd"
    # None: the paper's 1e-5, unless the scale sets a rate per model (a recipe's own rate wins)
    assert paper.lr == scale.lrs.get("pcinr") and ours.lr == recipes.RECIPES["ours"].lr
    assert configs[0].lr == scale.lrs.get("tcnn")
    # A row trained longer than the PCINRs keeps snapshots at equal steps and equal compute
    tcnn = configs[0]
    factor = scale.longer.get("tcnn", scale.compute.get("tcnn", 1.0))
    assert tcnn.steps == round(scale.steps * factor)
    assert scale.steps <= scale.equal_compute("tcnn") <= tcnn.steps
    if tcnn.steps > scale.steps:
        assert {scale.steps, scale.equal_compute("tcnn")} - {tcnn.steps} <= set(tcnn.snapshots)
    # "ours" gets the wall time of the paper's row: half the coordinates, twice the steps
    assert (ours.steps, ours.coords) == (2 * paper.steps, paper.coords // 2)
    assert {c.items for c in configs} == {scale.items}
    assert paper.coords == (scale.coords or recipes.RECIPES["paper"].coords)


def test_the_committed_study_scale_is_unchanged_by_the_refactor():
    """results/ was measured with these configs (cinr_lab 0.2's ``table.SCALES["cpu"]``)."""
    paper = experiments.train_config("study", "PCINR", "keyboard", 0)
    assert (paper.items, paper.steps, paper.batch, paper.coords) == (32, 200, 8, 2000)
    ours = experiments.train_config("study", "PCINR (ours)", "diverse", 2)
    assert (ours.items, ours.steps, ours.batch, ours.coords, ours.seed) == (32, 400, 8, 1000, 2)
    assert ours == recipes.recipe("ours", model="pcinr", set="diverse", items=32, steps=400,
                                batch=8, seed=2, checkpoint_every=100)  # fmt: skip


def test_run_folders_are_plain_names_and_the_sweep_shares_the_tables_run(tmp_path):
    path = experiments.run_path(tmp_path, "study", "keyboard", "PCINR (ours)", 1)
    assert path == tmp_path / "study" / "keyboard" / "PCINR-ours-seed1"
    assert experiments.sweep_path(tmp_path, "study", 245.0) == experiments.run_path(
        tmp_path, "study", "keyboard", "PCINR", 0
    )
    assert experiments.sweep_path(tmp_path, "study", 30.0).name == "PCINR-omega30-seed0"
    assert 245.0 in experiments.OMEGA_SWEEP and len(experiments.OMEGA_SWEEP) >= 4
    paths = [p for p, _ in experiments.study_runs(tmp_path, "study")]
    assert len(paths) == len(set(paths)) == 2 * len(experiments.ARCHS) + 3


def test_scale_name_comes_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.delenv(experiments.SCALE_ENV, raising=False)
    assert experiments.scale_name() == "study"
    monkeypatch.setenv(experiments.SCALE_ENV, "paper")
    assert experiments.scale_name() == "paper" and experiments.scale_name("smoke") == "smoke"
    with pytest.raises(
        ValueError, match="unknown scale 'huge'; choose one of smoke, study, fit, paper"
    ):
        experiments.scale_name("huge")


def test_train_preset_fills_the_cli_defaults(make_nsynth, tmp_path, monkeypatch):
    args = build_parser().parse_args(["train", "--model", "pcinr", "--out", "x"])
    assert (args.preset, args.recipe) == ("study", "paper")
    root = make_nsynth()
    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    run = tmp_path / "run"
    assert main(["train", "--model", "pcinr", "--preset", "smoke", "--data", str(root),
                 "--items", "2", "--out", str(run)]) == 0  # fmt: skip
    config = rendering.load_run(run).train_config
    smoke = experiments.SCALES["smoke"]
    assert (config.steps, config.batch, config.items) == (smoke.steps, smoke.batch, 2)
    assert config.optimizer == "adabelief"  # the paper's recipe, the default
