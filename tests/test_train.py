"""Auto-decoder training: exact resume, divergence handling, checkpoints, rendering, encoding."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

from cinr_lab import models, nsynth, recipes, rendering, runfolder, train
from cinr_lab.ops.cli import main

TINY_PCINR = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16)
TINY_TCNN = models.config_for("tcnn", tcnn_dim=1, tcnn_post_filter=16)


def config(root, **kw):
    base = dict(model="pcinr", set=None, data=str(root), items=4, steps=6, batch=3, coords=200,
                lr=1e-3, checkpoint_every=3)  # fmt: skip
    return recipes.recipe("v0", **{**base, **kw})


def losses(run):
    with open(run / "loss.csv") as fh:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(fh)]


def test_resume_continues_exactly(make_nsynth, tmp_path, one_thread):
    root = make_nsynth()
    straight = train.Trainer.create(tmp_path / "a", config(root), TINY_PCINR)
    straight.fit(progress=False)
    half = train.Trainer.create(tmp_path / "b", config(root, steps=3), TINY_PCINR)
    half.fit(progress=False)
    resumed = train.Trainer.resume(tmp_path / "b", steps=6)
    assert resumed.step == 3
    resumed.fit(progress=False)
    a, b = rendering.load_run(tmp_path / "a"), rendering.load_run(tmp_path / "b")
    assert a.step == b.step == 6
    torch.testing.assert_close(a.latents, b.latents, rtol=0, atol=0)
    for (name, pa), pb in zip(
        a.model.state_dict().items(), b.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0, msg=name)
    assert losses(tmp_path / "a") == losses(tmp_path / "b")


def test_run_folder_contents(make_nsynth, tmp_path):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY_PCINR).fit(
        progress=False
    )
    assert sorted(p.name for p in run.iterdir()) == [
        ".lock",  # the trainer's lock (holds its PID); released at the end of fit
        "audio",
        "checkpoint.pt",
        "config.json",
        "loss.csv",
    ]
    assert len(list((run / "audio").glob("*.wav"))) == 4
    assert [int(r["step"]) for r in losses(run)] == list(range(1, 7))
    assert rendering.load_run(run).model_config == TINY_PCINR  # samples=16000 matches 1 s clips


LEARNABLE_PCINR = models.config_for(
    "pcinr", hidden=32, layers=3, mapping_hidden=32, omega_first=300, omega_hidden=30
)


@pytest.mark.parametrize(
    "model_config, factor", [(LEARNABLE_PCINR, 0.1), (TINY_TCNN, 0.75)], ids=["pcinr", "tcnn"]
)
def test_training_reduces_the_error(make_nsynth, tmp_path, model_config, factor):
    # 50 ms clips (13 cycles of middle C), every note in every batch: small enough for a small
    # decoder to learn in 80 steps on a CPU.
    kw = dict(steps=80, seconds=0.05, coords=800, batch=4, lr=1e-3, latent_lr=1e-2,
              stft_weight=0.0, model=model_config.kind)  # fmt: skip
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth(), **kw), model_config)
    run.fit(progress=False)
    mse = [float(r["mse"]) for r in losses(tmp_path / "r")]
    assert np.mean(mse[-5:]) < factor * mse[0]


def test_divergence_stops_and_keeps_the_last_checkpoint(make_nsynth, tmp_path, monkeypatch):
    trainer = train.Trainer.create(
        tmp_path / "r", config(make_nsynth(), steps=8, checkpoint_every=2), TINY_PCINR
    )
    real = trainer.loss

    def explode_at_step_5(notes, z=None):
        terms = real(notes, z)
        if trainer.step == 4:
            terms["loss"] = terms["loss"] * float("nan")
        return terms

    monkeypatch.setattr(trainer, "loss", explode_at_step_5)
    with pytest.raises(train.TrainingDiverged, match="step 5: loss is nan; stopped"):
        trainer.fit(progress=False)
    assert rendering.load_run(tmp_path / "r").step == 4


def test_bad_run_folders_are_named(make_nsynth, tmp_path):
    with pytest.raises(runfolder.RunError, match="not a run folder"):
        rendering.load_run(tmp_path)
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY_PCINR).fit(
        progress=False
    )
    before = (run / "checkpoint.pt").read_bytes()
    with pytest.raises(runfolder.RunError, match="already holds a run"):
        train.Trainer.create(run, config(make_nsynth(root=tmp_path / "n2")), TINY_PCINR)
    assert (run / "checkpoint.pt").read_bytes() == before  # nothing overwritten
    with pytest.raises(runfolder.RunError, match="holds a 'pcinr' run, not 'tcnn'"):
        train.Trainer.resume(run, model="tcnn")
    (run / "checkpoint.pt").write_bytes(before[: len(before) // 2])
    with pytest.raises(runfolder.RunError, match="checkpoint.pt: corrupt or unreadable"):
        rendering.load_run(run)
    (run / "checkpoint.pt").write_bytes(before)
    text = (run / "config.json").read_text().replace('"hidden": 16', '"hidden": 32')
    (run / "config.json").write_text(text)
    with pytest.raises(runfolder.RunError, match="written by another model"):
        rendering.load_run(run)


def test_pcinr_renders_denser_grids_consistently(make_nsynth, tmp_path):
    run = rendering.load_run(
        train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY_PCINR).fit(progress=False)
    )
    base, double = run.render([0, 2]), run.render([0, 2], rate=32000)
    assert base.shape == (2, 16000) and double.shape == (2, 32000)
    torch.testing.assert_close(double[:, ::2], base)
    with pytest.raises(runfolder.RunError, match="item 9 out of range"):
        run.render([9])


def test_tcnn_refuses_other_rates(make_nsynth, tmp_path):
    cfg = config(make_nsynth(), model="tcnn", steps=2)
    run = rendering.load_run(
        train.Trainer.create(tmp_path / "r", cfg, TINY_TCNN).fit(progress=False)
    )
    assert run.render().shape == (4, 16000)
    with pytest.raises(runfolder.RunError, match="renders only its training rate"):
        run.render(rate=32000)


def test_weight_regularisation_and_inner_loop(make_nsynth, tmp_path):
    root = make_nsynth()
    trainer = train.Trainer.create(
        tmp_path / "wr", config(root, wr=1e-3, inner_steps=1), TINY_PCINR
    )
    terms = trainer.loss(torch.tensor([0, 1]))
    expected = sum(w.pow(2).sum() for w in trainer.model.regularised_weights())
    torch.testing.assert_close(terms["wr"], expected)
    terms["loss"].backward()
    assert trainer.latents.grad is not None  # through the inner step to the stored latents
    with pytest.raises(runfolder.RunError, match="needs weights to regularise; a TCNN has none"):
        train.Trainer.create(tmp_path / "t", config(root, model="tcnn", wr=1e-3), TINY_TCNN)


def test_encode_fits_a_new_clip_with_the_decoder_frozen(make_nsynth, tmp_path):
    root = make_nsynth()
    run = rendering.load_run(
        train.Trainer.create(tmp_path / "r", config(root, steps=30), TINY_PCINR).fit(progress=False)
    )
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    target = torch.from_numpy(nsynth.load(root).audio[5])
    z = train.encode(run.model, target, steps=50)
    sampled = train.encode(run.model, target, steps=50, coords=500)  # 500 of 16000 per step
    assert z.shape == sampled.shape == (256,)
    t = models.grid(16000)
    with torch.no_grad():
        fitted = (run.model(z[None], t)[0] - target).pow(2).sum()
        fitted_sampled = (run.model(sampled[None], t)[0] - target).pow(2).sum()
        start = (run.model(torch.zeros(1, 256), t)[0] - target).pow(2).sum()
    assert fitted < start and fitted_sampled < start
    assert not torch.equal(z, sampled)  # the coordinates really were sampled
    for k, v in run.model.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)


def test_encode_in_float64_follows_the_decoder(make_nsynth, tmp_path):
    """A float64 copy of a decoder fits a float64 latent from the same start (notebook 08 fits
    so: float32's rounding differs between CPUs' kernels, and a fit amplifies it), reaching
    what float32 reaches; rendering gives float32 either way."""
    import copy

    root = make_nsynth()
    run = rendering.load_run(
        train.Trainer.create(tmp_path / "r", config(root, steps=30), TINY_PCINR).fit(progress=False)
    )
    target = torch.from_numpy(nsynth.load(root).audio[5])
    wide = copy.deepcopy(run.model).double()
    for coords in (None, 500):
        z32 = train.encode(run.model, target, steps=20, coords=coords)
        z64 = train.encode(wide, target.double(), steps=20, coords=coords)
        assert z64.dtype == torch.float64 and z32.dtype == torch.float32
        torch.testing.assert_close(z64.float(), z32, rtol=1e-2, atol=1e-3)  # 20 steps of ~1e-2
        assert rendering.render(wide, z64[None]).dtype == torch.float32
    assert next(run.model.parameters()).dtype == torch.float32  # the run's own decoder untouched


def test_cli_train_and_render(make_nsynth, tmp_path, capsys, monkeypatch):
    root = make_nsynth()
    monkeypatch.setattr(nsynth, "paper_subset", lambda name: dict.fromkeys(
        ["keyboard_acoustic_001-042-100", "keyboard_electronic_000-060-127"], {}))  # fmt: skip
    run = tmp_path / "run"
    args = [
        "train",
        "--model",
        "tcnn",
        "--data",
        str(root),
        "--set",
        "keyboard",
        "--items",
        "2",
        "--steps",
        "2",
        "--out",
        str(run),
    ]
    assert main(args) == 0
    assert main(args) == 2
    assert "already holds a run; pass --resume" in capsys.readouterr().err
    assert main(["train", "--resume", "--steps", "3", "--out", str(run)]) == 0
    assert rendering.load_run(run).step == 3
    assert main(["render", str(run), "--items", "1", "--out", str(tmp_path / "wav")]) == 0
    assert [p.name for p in (tmp_path / "wav").iterdir()] == ["keyboard_electronic_000-060-127.wav"]
    assert main(["render", str(run), "--rate", "32000", "--out", str(tmp_path / "w2")]) == 2
    assert "renders only its training rate" in capsys.readouterr().err
    assert main(["render", str(tmp_path), "--out", str(tmp_path / "w3")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_fit_or_load_trains_once_then_loads(make_nsynth, tmp_path, monkeypatch):
    cfg = config(make_nsynth())
    first = train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    assert first.step == cfg.steps

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although the run was finished")

    monkeypatch.setattr(train.Trainer, "fit", no_training)
    again = train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    torch.testing.assert_close(again.latents, first.latents, rtol=0, atol=0)
    with pytest.raises(runfolder.RunError, match="holds a run with other settings"):
        train.fit_or_load(tmp_path / "r", dataclasses.replace(cfg, seed=1), TINY_PCINR)


def test_fit_or_load_finishes_an_interrupted_run(make_nsynth, tmp_path):
    cfg = config(make_nsynth())
    train.Trainer.create(tmp_path / "r", dataclasses.replace(cfg, steps=3), TINY_PCINR).fit(
        progress=False
    )
    text = (tmp_path / "r" / "config.json").read_text().replace('"steps": 3', '"steps": 6')
    (tmp_path / "r" / "config.json").write_text(text)  # as if stopped at step 3 of 6
    assert train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False).step == 6
    assert list(runfolder.loss_curve(tmp_path / "r")["step"]) == [1, 2, 3, 4, 5, 6]


def test_training_seconds_add_up_every_start():
    # each (re)start's rows count seconds from zero again
    curve = {"step": np.arange(1, 8), "seconds": np.array([1.0, 2.0, 3.0, 0.5, 1.5, 0.4, 0.9])}
    assert runfolder.training_seconds(curve) == pytest.approx(3.0 + 1.5 + 0.9)
    assert runfolder.training_seconds({"seconds": np.array([])}) == 0.0


def test_runs_know_their_data(make_nsynth, tmp_path):
    """A run records what it was trained on; evaluating or continuing it on other data is an
    error naming both, while the same data in another folder is the same data."""
    root = make_nsynth()
    cfg = config(root, steps=2, checkpoint_every=1)
    run = train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    assert run.data == nsynth.identity(root) and run.data["source"] == "nsynth"
    np.testing.assert_array_equal(run.truth(), nsynth.load(root, subset=run.notes).audio)

    moved = tmp_path / "moved"
    shutil.copytree(root, moved)  # the same notes and metadata elsewhere: the same data
    elsewhere = dataclasses.replace(run, train_config=dataclasses.replace(cfg, data=str(moved)))
    np.testing.assert_array_equal(elsewhere.truth(), run.truth())

    examples = nsynth.read_examples(root)  # other data under the same note names
    for meta in examples.values():
        meta["comment"] = "re-recorded"
    (root / "examples.json").write_text(json.dumps(examples))
    with pytest.raises(runfolder.RunError, match=r"trained on an NSynth folder at .*nsynth \(exam"):
        run.truth()
    with pytest.raises(runfolder.RunError, match="but the data now is an NSynth folder"):
        train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    with pytest.raises(runfolder.RunError, match="but the data now is an NSynth folder"):
        train.Trainer.resume(tmp_path / "r", steps=3)


def test_a_run_saved_without_its_data_is_trusted_only_on_a_soundfont_set(make_nsynth, tmp_path):
    root = make_nsynth()
    train.Trainer.create(tmp_path / "r", config(root, steps=1), TINY_PCINR).fit(progress=False)
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    del saved["data"]  # as cinr_lab 0.2 wrote it, with a checkpoint that names no run
    (tmp_path / "r" / "config.json").write_text(json.dumps(saved))
    state = torch.load(tmp_path / "r" / "checkpoint.pt", weights_only=True)
    del state["run"]
    torch.save(state, tmp_path / "r" / "checkpoint.pt")
    run = rendering.load_run(tmp_path / "r")
    assert run.data is None
    with pytest.raises(runfolder.RunError, match="does not record the data it was trained on"):
        run.truth()
    (root / "BUILD.json").write_text(json.dumps({"soundfont_sha256": "ab" * 32}))
    assert run.truth().shape == (4, 16000)  # a SoundFont rendering: what 0.2 trained on


def test_bf16_trains_a_tcnn_in_bf16_and_refuses_a_pcinr(make_nsynth, tmp_path):
    with pytest.raises(train.checks.ConfigError, match="precision: bf16 is for decoders"):
        recipes.recipe("v0", model="pcinr", precision="bf16")
    root = make_nsynth()
    kw = dict(model="tcnn", steps=4, seconds=0.05, batch=4, stft_weight=0.0, precision="bf16")
    trainer = train.Trainer.create(tmp_path / "r", config(root, **kw), TINY_TCNN)
    seen = []
    hook = trainer.model.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    terms = trainer.train_step(torch.arange(4))
    hook.remove()
    assert seen == [torch.bfloat16]  # the forward pass ran under bf16 autocast
    assert terms["loss"].dtype == torch.float32 and torch.isfinite(terms["loss"])
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())  # float32 weights
    kw["precision"] = "float32"
    float32 = train.Trainer.create(tmp_path / "f", config(root, **kw), TINY_TCNN)
    seen.clear()
    hook = float32.model.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    float32.train_step(torch.arange(4))
    hook.remove()
    assert seen == [torch.float32]


def test_a_run_saved_before_a_config_field_existed_still_loads(make_nsynth, tmp_path, monkeypatch):
    cfg = config(make_nsynth())
    train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    del saved["train"]["precision"]  # as written by a cinr_lab without the field
    (tmp_path / "r" / "config.json").write_text(json.dumps(saved))
    monkeypatch.setattr(train.Trainer, "fit", lambda *a, **k: pytest.fail("trained again"))
    assert train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False).step == cfg.steps


def _losses_and_gradients(trainer, losses, notes):
    """``losses(notes, z)`` as a training step calls it, and the gradients of its loss with
    respect to every parameter and the latents; the trainer's generator is left as it was."""
    state = trainer.gen.get_state()
    z = trainer.step_latents(notes)
    terms = losses(notes, z)
    wrt = [*trainer.model.parameters(), trainer.latents if z is None else z]
    grads = torch.autograd.grad(terms["loss"], wrt, allow_unused=True)
    trainer.gen.set_state(state)
    return {k: v.item() for k, v in terms.items()}, grads


@pytest.mark.parametrize(
    "recipe, model_config",
    [
        ("paper", TINY_PCINR),  # the paper's sines at ω 1760 / 245, its summed error and deriv
        ("v0", TINY_PCINR),  # the multi-STFT loss
        ("paper", TINY_TCNN),
    ],
    ids=["paper-pcinr", "v0-pcinr-stft", "paper-tcnn"],
)
def test_the_compiled_step_computes_the_plain_function(
    make_nsynth, tmp_path, recipe, model_config, cxx_compiler
):
    root = make_nsynth()
    cfg = dataclasses.replace(
        recipes.recipe(recipe, model=model_config.kind),
        set=None, data=str(root), items=4, batch=4, coords=1000, seconds=0.25, steps=3,
    )  # fmt: skip
    plain = train.Trainer.create(tmp_path / "plain", cfg, model_config)
    trainer = train.Trainer.create(tmp_path / "compiled", cfg, model_config)
    assert trainer.compile() is None
    assert torch.equal(trainer.gen.get_state(), plain.gen.get_state())  # the probe drew nothing
    notes = trainer.batch_notes()
    assert torch.equal(notes, plain.batch_notes())  # both runs stay at the same draw
    eager, eager_grads = _losses_and_gradients(trainer, trainer.loss, notes)
    fused, fused_grads = _losses_and_gradients(trainer, trainer.compiled, notes)
    assert fused == pytest.approx(eager, rel=1e-5, abs=1e-9)
    largest = max(g.norm() for g in eager_grads if g is not None)
    for name, a, b in zip([*dict(trainer.model.named_parameters()), "latents"], eager_grads,
                          fused_grads, strict=True):  # fmt: skip
        if a is None or a.norm() < 1e-6 * largest:  # e.g. a 1-wide weight-norm direction: 0
            continue
        assert ((a - b).norm() / a.norm()).item() < 2e-3, name
    # Training with it: the same batches, and the first step's losses as the plain run's.
    plain.fit(progress=False), trainer.fit(progress=False)
    first = [losses(tmp_path / run)[0] for run in ("plain", "compiled")]
    assert first[0]["step"] == "1"
    assert {k: float(v) for k, v in first[1].items()} == pytest.approx(
        {k: float(v) for k, v in first[0].items()}, rel=1e-5, abs=1e-9
    )


def test_compile_falls_back_to_the_plain_step(make_nsynth, tmp_path, monkeypatch):
    def no_compiler(fn, **kwargs):
        def fails(*args, **kw):
            raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found")

        return fails

    monkeypatch.setattr(torch, "compile", no_compiler)
    trainer = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY_PCINR)
    state = trainer.gen.get_state()
    with pytest.warns(UserWarning, match="No working C.. compiler found; training eagerly"):
        reason = trainer.compile()
    assert "No working C++ compiler" in reason
    assert trainer.compiled is None and torch.equal(trainer.gen.get_state(), state)
    assert torch.isfinite(trainer.train_step(trainer.batch_notes())["loss"])

    monkeypatch.setattr(torch, "compile", lambda *a, **k: pytest.fail("tried to compile"))
    inner = train.Trainer.create(tmp_path / "i", config(make_nsynth(root=tmp_path / "d"),
                                                        inner_steps=1), TINY_PCINR)  # fmt: skip
    with pytest.warns(UserWarning, match="double backward"):
        assert "double backward" in inner.compile()


def test_cli_train_compile_keeps_the_runs_identity(make_nsynth, tmp_path, capsys, cxx_compiler):
    root = make_nsynth()
    common = ["train", "--model", "tcnn", "--data", str(root), "--items", "2", "--steps", "2",
              "--batch", "2", "--recipe", "paper", "--preset", "smoke"]  # fmt: skip
    assert main([*common, "--compile", "--out", str(tmp_path / "c")]) == 0
    assert "torch.compile: on" in capsys.readouterr().out
    assert main([*common, "--out", str(tmp_path / "e")]) == 0
    configs = [json.loads((tmp_path / r / "config.json").read_text()) for r in ("c", "e")]
    assert configs[0] == configs[1]  # so the same run_id: either resumes the other's run
    resume = ["train", "--resume", "--steps", "3", "--compile", "--out", str(tmp_path / "e")]
    assert main(resume) == 0  # an eager run resumed compiled
    assert rendering.load_run(tmp_path / "e").step == 3


def test_snapshots_keep_the_model_along_training(make_nsynth, tmp_path):
    """A run keeps its model at the steps it is told to; a snapshot of the last step renders what
    the run renders (float16 matrices: within the export's tolerance); step 0 is the init,
    rebuilt from the seed; and snapshots are not part of the run's identity."""
    cfg = config(make_nsynth(), snapshots=[2, 4])
    assert cfg.snapshots == (2, 4)  # a list (as JSON gives) becomes a tuple
    path = train.Trainer.create(tmp_path / "r", cfg, TINY_PCINR).fit(progress=False)
    assert runfolder.snapshot_steps(path) == [2, 4]
    final = rendering.load_run(path)
    # the run's own step 6, as a snapshot would hold it: compare the renders
    fresh = train.Trainer.resume(path)
    fresh.snapshot()
    kept = rendering.load_run(path, step=6)
    assert kept.step == 6
    assert float((kept.render() - final.render()).abs().max()) < 1e-3
    init = rendering.load_run(path, step=0)
    again = train.Trainer.create(tmp_path / "s", dataclasses.replace(cfg, steps=1), TINY_PCINR)
    torch.testing.assert_close(init.latents, again.latents.detach(), rtol=0, atol=0)
    for name, value in again.model.state_dict().items():
        torch.testing.assert_close(init.model.state_dict()[name], value, rtol=0, atol=0)
    assert not torch.equal(rendering.load_run(path, step=2).latents, final.latents)
    with pytest.raises(runfolder.RunError, match="no snapshot of step 3 .*keeps: 2, 4, 6"):
        rendering.load_run(path, step=3)
    same = json.loads((path / "config.json").read_text())
    same["train"]["snapshots"] = [5]
    assert runfolder.run_id(same) == runfolder.run_id(
        json.loads((path / "config.json").read_text())
    )


def test_fit_or_load_trains_a_run_further_when_asked_for_more_steps(make_nsynth, tmp_path):
    """Steps and snapshots are not a run's identity: asking for more trains the same run on,
    keeping its folder; fewer steps than it has done, or other settings, are refused."""
    cfg = config(make_nsynth(), steps=3)
    train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    longer = dataclasses.replace(cfg, steps=6, snapshots=(4,))
    run = train.fit_or_load(tmp_path / "r", longer, TINY_PCINR, progress=False)
    assert run.step == 6 and run.train_config == longer
    assert runfolder.snapshot_steps(tmp_path / "r") == [4]
    assert list(runfolder.loss_curve(tmp_path / "r")["step"]) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(runfolder.RunError, match="at step 6, past the 3 steps"):
        train.fit_or_load(tmp_path / "r", cfg, TINY_PCINR, progress=False)
    with pytest.raises(runfolder.RunError, match="other settings"):
        train.fit_or_load(tmp_path / "r", dataclasses.replace(longer, lr=1e-4), TINY_PCINR)
