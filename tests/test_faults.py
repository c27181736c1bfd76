"""Faults and careless use never lose or corrupt a user's data.

A diverging run keeps its last good checkpoint, a folder that is not a run is never trained into
or replaced, two trainers never share a run folder, a crash leaves whole loss rows and no stray
temporary files, a checkpoint cannot be loaded into another run, and an interrupted start can be
resumed or started again.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cinr_lab import atomic, models, recipes, rendering, runfolder, soundfont, train
from cinr_lab.ops import ship
from cinr_lab.ops.cli import main

TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16)


def config(root, **kw) -> recipes.TrainConfig:
    base = dict(model="pcinr", set=None, data=str(root), items=4, steps=6, batch=2, coords=100,
                stft_weight=0.0, lr=1e-3, checkpoint_every=2)  # fmt: skip
    return recipes.recipe("v0", **{**base, **kw})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# --------------------------------------------------------------------------- divergence


def poison_at(trainer: train.Trainer, monkeypatch, step: int) -> None:
    """Make the update of ``step`` write NaN into a weight (as a huge rate eventually does)."""
    real = trainer.train_step

    def step_then_poison(notes):
        terms = real(notes)
        if trainer.step == step:
            with torch.no_grad():
                next(trainer.model.parameters()).view(-1)[0] = float("nan")
        return terms

    monkeypatch.setattr(trainer, "train_step", step_then_poison)


def test_a_poisoned_update_is_never_saved(make_nsynth, tmp_path, monkeypatch):
    trainer = train.Trainer.create(tmp_path / "r", config(make_nsynth(), checkpoint_every=1),
                                   TINY)  # fmt: skip
    poison_at(trainer, monkeypatch, 3)
    with pytest.raises(train.TrainingDiverged, match=r"step 3: NaN or infinity in .*not saved"):
        trainer.fit(progress=False)
    run = rendering.load_run(tmp_path / "r")  # the last good checkpoint, finite
    assert run.step == 2 and torch.isfinite(run.latents).all()
    assert not (tmp_path / "r" / "audio").exists()  # no NaN audio written


def test_a_poisoned_last_step_fails_instead_of_exporting_nan(make_nsynth, tmp_path, monkeypatch):
    trainer = train.Trainer.create(tmp_path / "r", config(make_nsynth(), steps=2), TINY)
    poison_at(trainer, monkeypatch, 2)
    with pytest.raises(train.TrainingDiverged, match="step 2: NaN"):
        trainer.fit(progress=False)
    assert rendering.load_run(tmp_path / "r").step == 0  # the start, not the poisoned end


def test_a_nan_checkpoint_is_refused_by_render_and_export(make_nsynth, tmp_path, capsys):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["latents"][0, 0] = float("inf")
    torch.save(state, run / "checkpoint.pt")  # e.g. written by an older cinr_lab
    for argv in (["render", str(run), "--out", str(tmp_path / "w")],
                 ["export-model", str(run), "--out", str(tmp_path / "m")]):  # fmt: skip
        assert main(argv) == 2
        assert "NaN or infinity in latents (a diverged run)" in error_line(capsys)
    assert not (tmp_path / "w").exists() and not (tmp_path / "m").exists()


def test_a_start_that_diverges_at_once_can_be_started_again(make_nsynth, tmp_path, monkeypatch):
    trainer = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY)
    poison_at(trainer, monkeypatch, 1)
    with pytest.raises(train.TrainingDiverged, match="untrained step 0: delete .* lower --lr"):
        trainer.fit(progress=False)
    assert train.Trainer.resume(tmp_path / "r").step == 0  # a run, not a dead end


# --------------------------------------------------------------------------- run folders


def test_train_refuses_a_folder_that_is_not_a_run(make_nsynth, tmp_path, capsys):
    mine = tmp_path / "mine"
    (mine / "audio").mkdir(parents=True)
    (mine / "audio" / "keyboard_acoustic_001-042-100.wav").write_bytes(b"my own recording")
    before = tree(mine)
    argv = ["train", "--model", "pcinr", "--data", str(make_nsynth()), "--out", str(mine)]
    assert main(argv) == 2
    assert "not empty and not a run folder (holds audio)" in error_line(capsys)
    assert tree(mine) == before and sorted(p.name for p in mine.iterdir()) == ["audio"]


def test_an_interrupted_start_leaves_a_folder_that_starts_again(make_nsynth, tmp_path, monkeypatch):
    cfg = config(make_nsynth())

    def killed(self, state):
        raise KeyboardInterrupt  # killed while writing the step-0 checkpoint

    with monkeypatch.context() as m:
        m.setattr(runfolder.Writer, "save", killed)
        with pytest.raises(KeyboardInterrupt):
            train.Trainer.create(tmp_path / "r", cfg, TINY)
    assert not (tmp_path / "r" / "config.json").exists()  # not a run yet: nothing to resume
    runfolder.unlock(tmp_path / "r")  # as the killed process's exit would
    assert train.Trainer.create(tmp_path / "r", cfg, TINY).fit(progress=False).exists()


def test_a_config_without_checkpoint_says_what_to_do(make_nsynth, tmp_path):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    (run / "checkpoint.pt").unlink()  # as cinr_lab 0.2 left a start killed before step 200
    with pytest.raises(runfolder.RunError, match="never reached its first checkpoint: delete"):
        train.Trainer.create(run, config(make_nsynth(root=tmp_path / "n2")), TINY)
    with pytest.raises(
        runfolder.RunError, match="checkpoint.pt: missing .* delete .* train it again"
    ):
        train.Trainer.resume(run)


def test_a_second_trainer_is_refused_with_the_holder_s_pid(make_nsynth, tmp_path, capsys):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from cinr_lab import runfolder; runfolder.lock(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(60)", str(run)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = tree(run)
        assert main(["train", "--resume", "--steps", "8", "--out", str(run)]) == 2
        line = error_line(capsys)
        assert f"another trainer is using this run folder (PID {holder.pid})" in line
        assert tree(run) == before
    finally:
        holder.kill()
        holder.wait()
    assert main(["train", "--resume", "--steps", "8", "--out", str(run)]) == 0  # now free


def test_a_checkpoint_copied_from_another_run_is_refused(make_nsynth, tmp_path, capsys):
    root = make_nsynth()
    a = train.Trainer.create(tmp_path / "a", config(root, seed=0), TINY).fit(progress=False)
    b = train.Trainer.create(tmp_path / "b", config(root, seed=1), TINY).fit(progress=False)
    shutil.copyfile(a / "checkpoint.pt", b / "checkpoint.pt")
    with pytest.raises(runfolder.RunError, match="belongs to another run"):
        rendering.load_run(b)
    with pytest.raises(runfolder.RunError, match="belongs to another run"):
        train.Trainer.resume(b, steps=8)
    assert main(["render", str(b), "--out", str(tmp_path / "w")]) == 2
    assert "belongs to another run" in error_line(capsys)


# --------------------------------------------------------------------------- crashes


def test_a_torn_loss_row_is_dropped_on_resume(make_nsynth, tmp_path):
    root = make_nsynth()
    straight = train.Trainer.create(tmp_path / "a", config(root), TINY).fit(progress=False)
    half = train.Trainer.create(tmp_path / "b", config(root, steps=4), TINY).fit(progress=False)
    with open(half / "loss.csv", "a") as fh:
        fh.write("5,0.1")  # killed mid-row, after the step-4 checkpoint
    (half / ".checkpoint.pt.x1y2.pt.tmp").write_bytes(b"\0" * 1000)  # killed mid-checkpoint
    train.Trainer.resume(half, steps=6).fit(progress=False)
    rows = (half / "loss.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert all(len(r.split(",")) == len(runfolder.LOSS_COLUMNS) for r in rows)
    strip = lambda text: [r.rsplit(",", 1)[0] for r in text.splitlines()]  # noqa: E731 (seconds)
    assert strip((half / "loss.csv").read_text()) == strip((straight / "loss.csv").read_text())
    assert not list(half.glob(".*.tmp"))  # the stale temporary checkpoint is gone


def test_a_full_disk_names_the_file_and_changes_nothing(tmp_path, monkeypatch, capsys):
    target = tmp_path / "examples.json"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as err:
        atomic.write_text(target, "new")
    assert err.value.filename == str(target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_an_unwritable_out_is_one_line(make_nsynth, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    assert main(["render", str(run), "--out", str(tmp_path / "file" / "x")]) == 2
    line = error_line(capsys)
    assert str(tmp_path / "file") in line and "Not a directory" in line


# --------------------------------------------------------------------------- export, data build


def test_export_onto_its_own_run_is_refused(make_nsynth, tmp_path, capsys):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    before = tree(run)
    assert main(["export-model", str(run), "--out", str(run), "--overwrite"]) == 2
    assert "is the run" in error_line(capsys)
    assert tree(run) == before


def test_export_refuses_unfinished_runs_and_half_runs(make_nsynth, tmp_path, capsys):
    root = make_nsynth()
    unfinished = tmp_path / "u"
    train.Trainer.create(unfinished, config(root), TINY)  # step 0 of 6
    assert main(["export-model", str(unfinished), "--out", str(tmp_path / "m")]) == 2
    assert "unfinished (step 0 of 6)" in error_line(capsys)
    run = train.Trainer.create(tmp_path / "r", config(root), TINY).fit(progress=False)
    (run / "loss.csv").unlink()
    assert main(["export-model", str(run), "--out", str(tmp_path / "m")]) == 2
    assert "loss.csv: missing" in error_line(capsys)
    assert not (tmp_path / "m").exists()


def test_export_overwrites_only_an_exported_model(make_nsynth, tmp_path, capsys):
    root = make_nsynth()
    run = train.Trainer.create(tmp_path / "r", config(root), TINY).fit(progress=False)
    other = train.Trainer.create(tmp_path / "o", config(root, seed=1), TINY).fit(progress=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for out, words in ((mine, "is not an exported model (it holds notes.txt)"),
                       (other, "holds a training run (with its optimiser state)")):  # fmt: skip
        before = tree(out)
        assert main(["export-model", str(run), "--out", str(out), "--overwrite"]) == 2
        assert words in error_line(capsys)
        assert tree(out) == before
    model = ship.export(run, tmp_path / "m")
    assert sorted(p.name for p in model.iterdir()) == ["checkpoint.pt", "config.json", "loss.csv"]
    ship.export(run, model, overwrite=True)  # an exported model may be replaced
    assert rendering.load_run(model).step == 6


def test_float16_export_halves_the_matrices_and_renders_as_before(make_nsynth, tmp_path, capsys):
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    assert main(["export-model", str(run), "--out", str(tmp_path / "m"), "--float16"]) == 0
    assert "float16 matrices" in capsys.readouterr().out
    stored = torch.load(tmp_path / "m" / "checkpoint.pt", weights_only=True)
    for name, tensor in stored["model"].items():  # matrices half, vectors (biases, ω·t) full
        matrix = tensor.dim() >= 2 and min(tensor.shape) > 1
        assert tensor.dtype == (torch.float16 if matrix else torch.float32), name
    assert stored["latents"].dtype == torch.float16
    full, half = rendering.load_run(run), rendering.load_run(tmp_path / "m")
    assert half.latents.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in half.model.parameters())
    difference = (full.render() - half.render()).abs().max()
    assert 0 < difference <= ship.FLOAT16_TOLERANCE


def test_float16_export_that_changes_the_sound_is_refused(make_nsynth, tmp_path, capsys,
                                                          monkeypatch):  # fmt: skip
    run = train.Trainer.create(tmp_path / "r", config(make_nsynth()), TINY).fit(progress=False)
    monkeypatch.setattr(ship, "FLOAT16_TOLERANCE", 0.0)  # any rounding is too much
    assert main(["export-model", str(run), "--out", str(tmp_path / "m"), "--float16"]) == 2
    assert "export it without --float16" in error_line(capsys)
    assert not (tmp_path / "m").exists()


def test_a_retrained_run_is_checked_against_its_shipped_copy(make_nsynth, tmp_path):
    root = make_nsynth()
    shipped = train.Trainer.create(tmp_path / "s", config(root), TINY).fit(progress=False)
    again = train.Trainer.create(tmp_path / "a", config(root), TINY).fit(progress=False)
    same, mine, theirs = ship.reproduces(rendering.load_run(again), rendering.load_run(shipped))
    assert same and abs(mine - theirs) < 1e-3  # same seed, same machine: the same run
    other = rendering.load_run(again)
    with torch.no_grad():  # a different model: a constant offset on every sample
        other.model.head.bias += 0.5
    same, mine, theirs = ship.reproduces(other, rendering.load_run(shipped))
    assert not same and mine < theirs - ship.REPRODUCE_DB
    seed1 = train.Trainer.create(tmp_path / "b", config(root, seed=1), TINY).fit(progress=False)
    with pytest.raises(runfolder.RunError, match="not the run shipped in"):
        ship.reproduces(rendering.load_run(seed1), rendering.load_run(shipped))


def test_data_build_refuses_a_folder_that_is_not_a_build(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "examples.json").write_text("{}")
    assert main(["data", "build", "--out", str(mine)]) == 2
    assert "not empty and not a set built by cinr-lab (no BUILD.json)" in error_line(capsys)
    assert [p.name for p in mine.iterdir()] == ["examples.json"]


def test_data_build_replaces_an_earlier_build_as_an_ordinary_folder(tmp_path):
    notes = dict(list(soundfont.paper_notes().items())[:2])
    out = soundfont.build(tmp_path / "set", notes=notes, progress=False)
    first = json.loads((out / "examples.json").read_text())
    again = soundfont.build(out, notes=notes, progress=False)  # a build may replace a build
    assert json.loads((again / "examples.json").read_text()) == first
    assert (again.stat().st_mode & 0o777) != 0o700  # not mkdtemp's private mode
    assert len(list((again / "audio").iterdir())) == 2
