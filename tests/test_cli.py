"""The command line: output, exit codes and error messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile
from conftest import FIXTURE_NOTES

from cinr_lab import nsynth
from cinr_lab.ops.cli import main


def test_info_counts_a_folder(make_nsynth, capsys):
    assert main(["data", "info", str(make_nsynth())]) == 0
    out = capsys.readouterr().out
    assert "8 notes, 8 instruments" in out
    assert "families:   guitar 3, keyboard 3, mallet 2" in out
    assert "pitches:    28-70 (7 distinct)" in out


def test_info_on_a_folder_without_the_set(make_nsynth, capsys):
    assert main(["data", "info", str(make_nsynth()), "--set", "diverse"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cinr-lab: error: ") and "examples.json: lacks 1018 of the 1024" in err


def test_export_writes_named_wavs(make_nsynth, tmp_path, capsys, monkeypatch):
    root = make_nsynth()
    monkeypatch.setenv("CINR_NSYNTH", str(root))
    wanted = ["keyboard_electronic_000-060-127", "keyboard_synthetic_003-060-075"]
    monkeypatch.setattr(nsynth, "paper_subset", lambda name: dict.fromkeys(wanted, {}))
    out = tmp_path / "out"
    assert (
        main(["data", "export", "--set", "keyboard", "--format", "float32", "--out", str(out)]) == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.wav" for n in wanted]
    clips = nsynth.load(root, subset=wanted)
    for name, ref in zip(clips.names, clips.audio, strict=True):
        data, rate = soundfile.read(out / f"{name}.wav", dtype="float32")
        assert rate == 16000
        np.testing.assert_array_equal(data, ref)
    # A second export into the same folder refuses to overwrite, and says how to.
    assert main(["data", "export", "--set", "keyboard", "--out", str(out)]) == 2
    assert "exists (2 files would be overwritten); pass --overwrite" in capsys.readouterr().err
    assert main(["data", "export", "--set", "keyboard", "--overwrite", "--out", str(out)]) == 0
    data, _ = soundfile.read(out / f"{wanted[0]}.wav", dtype="int16")
    np.testing.assert_array_equal(data, np.round(clips.audio[0] * 32768).astype(np.int16))


def test_export_more_items_than_exist(make_nsynth, tmp_path, capsys, monkeypatch):
    root = make_nsynth()
    monkeypatch.setattr(nsynth, "paper_subset", lambda name: dict.fromkeys(FIXTURE_NOTES, {}))
    args = ["data", "export", str(root), "--set", "diverse", "--items", "20"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert "asked for 20 notes, only 8 match" in capsys.readouterr().err


def test_unknown_set_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["data", "info", "--set", "drums"])
    assert exit_.value.code == 2
    assert "invalid choice: 'drums'" in capsys.readouterr().err


def test_module_entry_point(make_nsynth):
    result = subprocess.run(
        [sys.executable, "-m", "cinr_lab", "data", "info", str(make_nsynth())],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "8 notes" in result.stdout


def test_export_without_a_set_writes_every_note_of_the_folder(make_nsynth, tmp_path):
    root = make_nsynth()  # eight notes, far from either paper set's 1024
    out = tmp_path / "out"
    assert main(["data", "export", str(root), "--out", str(out)]) == 0
    assert sorted(p.stem for p in out.iterdir()) == sorted(FIXTURE_NOTES)
    assert main(["data", "export", str(root), "--items", "3", "--out", str(tmp_path / "o3")]) == 0
    assert len(list((tmp_path / "o3").iterdir())) == 3


def test_train_on_a_folder_of_your_own_uses_all_its_notes(make_nsynth, tmp_path, capsys):
    from cinr_lab import rendering

    root = make_nsynth()
    run = tmp_path / "run"
    args = ["train", "--model", "tcnn", "--data", str(root), "--steps", "1", "--batch", "8",
            "--coords", "100", "--out", str(run)]  # fmt: skip
    assert main(args) == 0
    loaded = rendering.load_run(run)
    assert loaded.train_config.set is None and sorted(loaded.notes) == sorted(FIXTURE_NOTES)
    # Naming a paper set still asks for its 1024 notes, which this folder lacks.
    assert main([*args[:-1], str(tmp_path / "run2"), "--set", "keyboard"]) == 2
    err = capsys.readouterr().err
    assert "examples.json: lacks 1022 of the 1024 notes of set 'keyboard'" in err
