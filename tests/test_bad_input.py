"""Every invalid argument: exit status 2, one line naming the argument, nothing written.

Each case runs the real command line in-process. Before and after, every file under the test's
folder is checksummed: a refused command must not create, change or delete anything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cinr_lab import checks, models, nsynth, recipes, train
from cinr_lab.ops.cli import main

TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16)


def snapshot(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file (and ``"<dir>"`` for every folder) under it."""
    out = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        out[key] = "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def finished_run(make_nsynth, tmp_path) -> Path:
    """A tiny finished PCINR run on the fixture notes (4 notes, 4 steps)."""
    root = str(make_nsynth())
    config = recipes.recipe("v0", model="pcinr", set=None, data=root, items=4, steps=4, batch=2,
                               coords=100, stft_weight=0.0, checkpoint_every=2)  # fmt: skip
    return train.Trainer.create(tmp_path / "run", config, TINY).fit(progress=False)


def refused(argv: list[str], capsys) -> str:
    """Run the CLI; it must exit 2 with one error line (no traceback). Returns that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cinr-lab: error: "), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


TRAIN = ["train", "--model", "pcinr", "--preset", "smoke"]

# (arguments after the command, the words the error must hold)
TRAIN_CASES = [
    (["--steps", "0"], "--steps: must be at least 1, got 0"),
    (["--steps", "-5"], "--steps: must be at least 1, got -5"),
    (["--lr", "-1"], "--lr: must be greater than 0, got -1"),
    (["--lr", "0"], "--lr: must be greater than 0, got 0"),
    (["--lr", "nan"], "--lr: must be a finite number, got nan"),
    (["--latent-lr", "inf"], "--latent-lr: must be a finite number, got inf"),
    (["--batch", "0"], "--batch: must be at least 1, got 0"),
    (["--coords", "0"], "--coords: must be at least 1, got 0"),
    (["--coords", "-5"], "--coords: must be at least 1, got -5"),
    (["--checkpoint-every", "0"], "--checkpoint-every: must be at least 1, got 0"),
    (["--items", "0"], "--items: must be at least 1, got 0"),
    (["--seed", "-1"], "--seed: must be at least 0, got -1"),
    (["--wr", "-0.1"], "--wr: must be at least 0, got -0.1"),
    (["--stft-weight", "nan"], "--stft-weight: must be a finite number, got nan"),
    (["--deriv-weight", "-1"], "--deriv-weight: must be at least 0, got -1"),
    (["--weight-decay", "inf"], "--weight-decay: must be a finite number, got inf"),
    (["--omega-hidden", "0"], "--omega-hidden: must be greater than 0, got 0"),
    (["--omega-first", "nan"], "--omega-first: must be a finite number, got nan"),
]


@pytest.mark.parametrize("extra, words", TRAIN_CASES, ids=[" ".join(c[0]) for c in TRAIN_CASES])
def test_train_arguments(extra, words, tmp_path, capsys):
    before = snapshot(tmp_path)
    assert words in refused([*TRAIN, *extra, "--out", str(tmp_path / "r")], capsys)
    assert snapshot(tmp_path) == before  # not even the run folder


def test_resume_below_the_run_s_step(finished_run, capsys):
    before = snapshot(finished_run)
    line = refused(["train", "--resume", "--steps", "2", "--out", str(finished_run)], capsys)
    assert "--steps: 2 is below the run's step 4" in line
    assert snapshot(finished_run) == before


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--rate", "0"], "--rate: must be at least 16000, got 0"),
        (["--rate", "-16000"], "--rate: must be at least 16000, got -16000"),
        (["--rate", "1"], "--rate: must be at least 16000, got 1"),
        (["--items", "0,0"], "--items: note 0 is asked for twice"),
        (["--items", "0,x"], "--items: must be comma-separated note indices, got '0,x'"),
        (["--items", "9"], "item 9 out of range (the run has 4 notes)"),
    ],
    ids=["rate 0", "rate negative", "rate 1", "items twice", "items not numbers", "items range"],
)
def test_render_arguments(extra, words, finished_run, tmp_path, capsys):
    before = snapshot(tmp_path)
    assert words in refused(["render", str(finished_run), *extra, "--out", str(tmp_path / "w")],
                            capsys)  # fmt: skip
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("seconds", ["nan", "inf", "0", "-1", "5", "0.00001"])
def test_export_seconds(seconds, make_nsynth, tmp_path, capsys):
    root = make_nsynth()
    before = snapshot(tmp_path)
    argv = ["data", "export", str(root), "--set", "keyboard", "--seconds", seconds]
    line = refused([*argv, "--out", str(tmp_path / "x")], capsys)
    assert "seconds must be in (0, 4] (at least one sample)" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "argv, words",
    [
        (["table", "--seeds", "0"], "--seeds: must be at least 1, got 0"),
        (["table", "--sets", "drums"], "--sets: unknown set 'drums'; choose from diverse"),
        (["runs", "--seeds", "0"], "--seeds: must be at least 1, got 0"),
        (["runs", "--only", "drums/"], "--only: no run folder path contains ['drums/']"),
        (["recipes", "race", "--seconds", "0"], "--seconds: must be greater than 0, got 0"),
        (["recipes", "sweep", "--every", "-1"], "--every: must be greater than 0, got -1"),
        (["recipes", "stability", "--steps", "0"], "--steps: must be at least 1, got 0"),
        (["recipes", "stability", "--every", "nan"], "--every: must be a finite number"),
        (["recipes", "stability", "--items", "0"], "--items: must be at least 1, got 0"),
        (["data", "build", "--gain-db", "nan"], "--gain-db: must be a finite number, got nan"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_study_arguments(argv, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # results/ and runs/ would go here
    before = snapshot(tmp_path)
    assert words in refused(argv, capsys)
    assert snapshot(tmp_path) == before


def test_config_errors_name_the_field_in_python_too():
    with pytest.raises(checks.ConfigError, match="steps: must be at least 1, got 0") as err:
        recipes.recipe("v0", steps=0)
    assert (err.value.field, err.value.option) == ("steps", "--steps")
    with pytest.raises(checks.ConfigError, match="batch: must be a whole number, got '8'"):
        recipes.recipe("v0", batch="8")  # e.g. a hand-edited config.json
    with pytest.raises(checks.ConfigError, match="nothing to fit"):
        recipes.recipe("v0", mse_weight=0, stft_weight=0)
    with pytest.raises(checks.ConfigError, match="hidden: must be at least 1, got 0"):
        models.config_for("pcinr", hidden=0)


def test_examples_json_with_a_wrong_type(make_nsynth, tmp_path, capsys):
    root = make_nsynth()
    examples = json.loads((root / "examples.json").read_text())
    name = next(iter(examples))
    examples[name]["pitch"] = "sixty"
    (root / "examples.json").write_text(json.dumps(examples))
    before = snapshot(tmp_path)
    export = ["data", "export", str(root), "--set", "keyboard", "--out", str(tmp_path / "x")]
    for argv in (["data", "info", str(root)], export):
        line = refused(argv, capsys)
        assert f"note {name!r} has pitch 'sixty'; expected a whole number" in line
        assert str(root / "examples.json") in line
    assert snapshot(tmp_path) == before


def test_cinr_nsynth_is_named_as_the_source(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CINR_NSYNTH", str(tmp_path / "nowhere"))
    line = refused(["data", "info"], capsys)
    assert f"{tmp_path / 'nowhere'} (from $CINR_NSYNTH): NSynth folder not found" in line


def test_cinr_home_that_is_a_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setenv("CINR_HOME", str(tmp_path / "home"))
    line = refused(["data", "info"], capsys)
    assert f"{tmp_path / 'home'} (from $CINR_HOME): not a folder" in line
    assert (tmp_path / "home").read_text() == "not a folder"


def test_an_unwritable_cache_is_skipped_with_one_warning(make_nsynth, isolated_home, monkeypatch):
    root = make_nsynth()
    (isolated_home / "cache").write_text("a file where the cache folder would go")
    monkeypatch.setattr(nsynth, "_CACHE_WARNED", False)  # a fresh process
    with pytest.warns(UserWarning, match="cannot write the decoded-data cache") as warned:
        first = nsynth.load(root)
        second = nsynth.load(root, seconds=0.5)
    assert len(warned) == 1  # once per process
    assert first.audio.shape == (8, 16000) and second.audio.shape == (8, 8000)
    assert (isolated_home / "cache").read_text().startswith("a file")


def test_metrics_name_the_file(tmp_path, capsys):
    import numpy as np
    import soundfile

    ref, est = tmp_path / "ref", tmp_path / "est"
    ref.mkdir(), est.mkdir()
    wave = np.sin(np.arange(16000) / 10).astype(np.float32)
    soundfile.write(ref / "a.wav", wave, 16000, subtype="FLOAT")
    bad = wave.copy()
    bad[5] = np.nan
    soundfile.write(est / "a.wav", bad, 16000, subtype="FLOAT")
    line = refused(["metrics", str(ref), str(est), "--cdpam", "off"], capsys)
    assert f"{est / 'a.wav'}: holds NaN or infinite samples" in line
    soundfile.write(ref / "a.wav", wave[:64], 16000, subtype="FLOAT")
    soundfile.write(est / "a.wav", wave[:64], 16000, subtype="FLOAT")
    line = refused(["metrics", str(ref), str(est), "--cdpam", "off"], capsys)
    assert f"{est / 'a.wav'}: clips of 64 samples are shorter than every STFT scale" in line


def test_a_corrupt_results_file_is_named_with_its_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    record = {"scale": "smoke", "set": "keyboard", "arch": "Silence", "seed": 0, "mse": 1.0}
    (tmp_path / "results" / "runs.jsonl").write_text(json.dumps(record) + "\n{torn\n")
    before = snapshot(tmp_path)
    line = refused(["table", "--scale", "smoke"], capsys)
    assert "runs.jsonl, line 2: not valid JSON" in line
    assert snapshot(tmp_path) == before
