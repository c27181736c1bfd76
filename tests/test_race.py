"""Recipes: the named presets, the paper recipe's pieces, the race and the stability check."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from cinr_lab import models, recipes, runfolder, train
from cinr_lab.ops import race

TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16)


def test_recipes_are_configs_and_unknown_ones_are_named():
    paper = recipes.recipe("paper", items=32)
    assert (paper.optimizer, paper.latent_update, paper.latent_lr) == ("adabelief", "sgd", 0.3)
    assert not paper.mse_rescale and paper.deriv_weight == 1.0 and paper.items == 32
    with pytest.raises(ValueError, match="unknown recipe 'fast'"):
        recipes.recipe("fast")
    with pytest.raises(ValueError, match="optimizer: must be one of"):
        recipes.recipe("paper", optimizer="sgd")


def test_paper_recipe_optimisers_schedule_and_latents(make_nsynth, tmp_path):
    root = make_nsynth()
    config = recipes.recipe("paper", model="pcinr", set=None, data=str(root), items=6, steps=4,
                          batch=4, coords=100, lr=1e-3)  # fmt: skip
    trainer = train.Trainer.create(tmp_path / "r", config, TINY)
    assert set(trainer.optimizers) == {"main", "mapping"}
    assert type(trainer.optimizers["main"]).__name__ == "AdaBelief"
    assert trainer.scheduler.optimizer is trainer.optimizers["main"]
    assert trainer.scheduler.patience == 100 * (6 // 4)
    # epochs: two steps cover all 6 notes once (4 + 2), in a shuffled order
    first = trainer.batch_notes()
    trainer.step = 1
    second = trainer.batch_notes()
    assert sorted(first.tolist() + second.tolist()) == list(range(6))
    orders = set()
    for epoch in range(4):  # each epoch draws its own order
        trainer.step = 2 * epoch
        orders.add(tuple(trainer.batch_notes().tolist()))
    assert len(orders) > 1
    trainer.step = 0
    # the latent step is plain gradient descent on the batch loss
    notes = torch.tensor([0, 1, 2, 3])
    before = trainer.latents.detach().clone()
    z = before[notes].clone().requires_grad_(True)
    state = trainer.gen.get_state()
    trainer.loss(notes, z)["loss"].backward()
    trainer.gen.set_state(state)  # the same coordinates again
    trainer.train_step(notes)
    torch.testing.assert_close(trainer.latents.detach()[notes], before[notes] - 0.3 * z.grad)
    torch.testing.assert_close(trainer.latents.detach()[4:], before[4:])


def test_frozen_mapping_is_never_updated(make_nsynth, tmp_path):
    config = recipes.recipe("paper", model="pcinr-wide", set=None, data=str(make_nsynth()),
                          items=4, steps=3, batch=4, coords=100, lr=1e-3)  # fmt: skip
    wide = models.config_for("pcinr-wide", hidden=16, mapping_hidden=16)
    trainer = train.Trainer.create(tmp_path / "r", config, wide)
    assert set(trainer.optimizers) == {"main"}
    before = {k: v.clone() for k, v in trainer.model.mapping.state_dict().items()}
    layer0 = trainer.model.layers[0].linear.weight.detach().clone()
    trainer.fit(progress=False)
    for k, v in trainer.model.mapping.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not torch.equal(trainer.model.layers[0].linear.weight.detach(), layer0)


def test_paper_resume_continues_exactly(make_nsynth, tmp_path, one_thread):
    root = make_nsynth()
    config = recipes.recipe("paper", model="pcinr", set=None, data=str(root), items=4, steps=6,
                          batch=3, coords=100, lr=1e-3, checkpoint_every=3,
                          plateau_epochs=1)  # fmt: skip
    train.Trainer.create(tmp_path / "a", config, TINY).fit(progress=False)
    short = dataclasses.replace(config, steps=3)
    train.Trainer.create(tmp_path / "b", short, TINY).fit(progress=False)
    train.Trainer.resume(tmp_path / "b", steps=6).fit(progress=False)
    a, b = (runfolder.loss_curve(tmp_path / x)["loss"] for x in "ab")
    assert list(a) == list(b)


def test_cosine_schedule_warms_up_and_decays(make_nsynth, tmp_path):
    config = recipes.recipe("v0", model="pcinr", set=None, data=str(make_nsynth()), items=4,
                               steps=10, batch=2, coords=100, lr=1e-3, stft_weight=0.0,
                               schedule="cosine", warmup=2, lr_floor=0.1)  # fmt: skip
    trainer = train.Trainer.create(tmp_path / "r", config, TINY)
    rates = []
    for _ in range(10):
        trainer.train_step(trainer.batch_notes())
        rates.append(trainer.optimizers["main"].param_groups[0]["lr"])
    assert rates[0] == pytest.approx(0.5e-3) and rates[1] == pytest.approx(1e-3)
    assert rates[2] == pytest.approx(1e-3)  # the decay starts after the warm-up
    assert rates[-1] == pytest.approx(1e-4 + 0.9e-3 * 0.5 * (1 + math.cos(0.875 * math.pi)))
    assert all(a >= b for a, b in zip(rates[1:-1], rates[2:], strict=True))


def test_race_writes_curves_and_resumes(make_nsynth, tmp_path):
    root = make_nsynth()
    entries = {
        "a": {"recipe": "v0", "lr": 1e-3, "stft_weight": 0.0, "coords": 100},
        "b": {"recipe": "paper", "lr": 1e-4, "coords": 100},  # 1e-3 diverges in ~80 steps
    }
    kw = dict(runs=tmp_path / "runs", model="pcinr", set_name=None, items=4, batch=2,
              every=0.5, data=str(root))  # fmt: skip
    report = race.race(entries, 1.0, tmp_path / "out", "recipe_test", **kw)
    lines = (tmp_path / "out" / "recipe_test.jsonl").read_text().splitlines()
    records = [json.loads(x) for x in lines]
    assert [r["label"] for r in records] == ["a", "b"]
    for r in records:
        # Measured at the first step past `every` (0.5 s) and at the end; a slow (loaded) machine
        # may take longer than that for a step, so the two can be one.
        seconds = [p["seconds"] for p in r["curve"]]
        assert seconds[0] >= 0.5 and seconds == sorted(seconds) and seconds[-1] >= 1.0
        assert r["final"] == r["curve"][-1] and r["final"]["step"] >= 1
        assert r["final"]["mse"] > 0 and r["silence_mse"] > 0
    assert "| a |" in report.read_text() and "Mean per-note SNR" in report.read_text()
    mtime = (tmp_path / "out" / "recipe_test.jsonl").stat().st_mtime_ns
    race.race(entries, 1.0, tmp_path / "out", "recipe_test", **kw)  # nothing left to run
    assert (tmp_path / "out" / "recipe_test.jsonl").stat().st_mtime_ns == mtime


def test_energy_note_weights_count_every_note_alike(make_nsynth, tmp_path):
    config = recipes.recipe("v0", model="pcinr", set=None, data=str(make_nsynth()), items=4,
                               steps=1, batch=4, coords=100, stft_weight=0.0,
                               note_weights="energy")  # fmt: skip
    trainer = train.Trainer.create(tmp_path / "r", config, TINY)
    energy = trainer.audio.pow(2).mean(dim=1)
    torch.testing.assert_close(trainer.note_weight * energy, energy.mean().expand(4))
    notes = torch.arange(4)
    state = trainer.gen.get_state()
    weighted = trainer.loss(notes)
    trainer.gen.set_state(state)
    trainer.note_weight = torch.ones(4)
    plain = trainer.loss(notes)
    torch.testing.assert_close(weighted["mse"], plain["mse"])  # the log stays the plain MSE
    assert not torch.allclose(weighted["loss"], plain["loss"])


def test_verdict_finds_where_a_run_left_the_plateau_and_a_relapse():
    silence = 10.0
    curve = [{"step": 0, "mse": 10.0}, {"step": 200, "mse": 8.0}, {"step": 400, "mse": 5.0}]
    steady = np.full(400, 5.0)
    steady[:150] = 10.0  # still on the plateau before step 200
    v = race.verdict(curve, steady, silence)
    assert v["left_plateau_step"] == 200 and v["relapsed"] is False
    assert v["worst_measured_mse"] == 8.0 and v["worst_measured_step"] == 200
    relapse = steady.copy()
    relapse[250:360] = 9.5  # a 110-step excursion between two measurements
    assert race.verdict(curve, relapse, silence)["relapsed"] is True
    stuck = [{"step": 0, "mse": 10.0}, {"step": 400, "mse": 9.5}]
    assert race.verdict(stuck, np.full(400, 9.5), silence)["left_plateau_step"] is None


def test_stability_writes_its_curve_and_resumes(make_nsynth, tmp_path):
    root = make_nsynth()
    kw = dict(runs=tmp_path / "runs", model="pcinr", set_name=None, items=4, batch=2,
              data=str(root), progress=False, every=1e9)  # fmt: skip
    report = race.stability(tmp_path / "out", steps=6, **kw)
    record = json.loads((tmp_path / "out" / "recipe_stability.jsonl").read_text())
    assert [p["step"] for p in record["curve"]] == [0, 6]  # the start and the end
    assert record["config"]["steps"] == 6 and record["silence_mse"] > 0
    assert "Final (step 6)" in report.read_text()
    run = tmp_path / "runs" / "recipe_stability" / "ours"
    # An interrupted check: the checkpoint at step 6 stands for one taken mid-run; the longer
    # run resumes from it with its curve and its loss log, not from scratch.
    with pytest.raises(runfolder.RunError, match="other settings"):
        race.stability(tmp_path / "out", steps=9, **kw)
    config = json.loads((run / "config.json").read_text())
    config["train"]["steps"] = 9
    (run / "config.json").write_text(json.dumps(config))
    race.stability(tmp_path / "out", steps=9, **kw)
    record = json.loads((tmp_path / "out" / "recipe_stability.jsonl").read_text())
    assert [p["step"] for p in record["curve"]] == [0, 6, 9]
    steps = [int(r.split(",")[0]) for r in (run / "loss.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, 10))
