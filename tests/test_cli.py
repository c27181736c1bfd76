"""The command line: output, exit codes and error messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile
from conftest import FIXTURE_NOTES

from cinr_lab import nsynth
from cinr_lab.cli import main


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
