"""The NSynth reader: real layout, selection, caching and every bad input named."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from conftest import FIXTURE_NOTES, tone, write_pcm

from cinr_lab import nsynth
from cinr_lab.audio import AudioFileError


def test_reads_first_second_exactly(make_nsynth):
    root = make_nsynth()
    clips = nsynth.load(root)
    assert clips.audio.shape == (len(FIXTURE_NOTES), 16000)
    assert clips.audio.dtype == np.float32
    assert clips.names == sorted(FIXTURE_NOTES)
    for row, meta in zip(clips.audio, clips.notes, strict=True):
        expected = tone(meta["pitch"], meta["velocity"])[:16000] / 32768.0
        np.testing.assert_array_equal(row, expected.astype(np.float32))
    assert clips.sample_rate == 16000


def test_seconds_sets_length(make_nsynth):
    root = make_nsynth()
    clips = nsynth.load(root, seconds=0.25)
    assert clips.audio.shape == (len(FIXTURE_NOTES), 4000)
    with pytest.raises(nsynth.NSynthError, match="seconds must be in"):
        nsynth.load(root, seconds=5)


def test_filters_by_metadata(make_nsynth):
    root = make_nsynth()
    assert nsynth.load(root, family="mallet").names == [
        "mallet_acoustic_001-028-050",
        "mallet_electronic_000-046-025",
    ]
    by_id = nsynth.load(root, family=5, source=["electronic"])  # 5 is mallet
    assert by_id.names == ["mallet_electronic_000-046-025"]
    assert nsynth.load(root, pitch=range(60, 65)).names == [
        "keyboard_electronic_000-060-127",
        "keyboard_synthetic_003-060-075",
    ]
    assert nsynth.load(root, velocity=127).names == [
        "guitar_electronic_000-038-127",
        "guitar_synthetic_000-070-127",
        "keyboard_electronic_000-060-127",
    ]
    assert nsynth.load(root, instrument="guitar_acoustic_000").names == [
        "guitar_acoustic_000-031-100"
    ]


def test_items_spread_over_sorted_notes(make_nsynth):
    names = nsynth.load(make_nsynth(), items=3).names
    ordered = sorted(FIXTURE_NOTES)
    assert names == [ordered[0], ordered[4], ordered[7]]  # ends and middle: all families


def test_subset_by_name_list(make_nsynth):
    root = make_nsynth()
    wanted = ["mallet_acoustic_001-028-050", "guitar_acoustic_000-031-100"]
    assert nsynth.load(root, subset=wanted).names == sorted(wanted)


def test_paper_subsets_match_their_readme():
    for name, families, instruments in (
        ("diverse", {"guitar": 341, "keyboard": 330, "mallet": 353}, 154),
        ("keyboard", {"keyboard": 1024}, 74),
    ):
        notes = nsynth.paper_subset(name)
        assert len(notes) == 1024
        counts = nsynth.counts(notes.values())
        assert counts["family"] == families
        assert len(counts["instrument"]) == instruments
        assert set(counts["velocity"]) == set(nsynth.VELOCITIES)
    assert set(nsynth.counts(nsynth.paper_subset("keyboard").values())["pitch"]) == {
        60, 61, 62, 63, 64,
    }  # fmt: skip
    assert Counter(m["instrument_source_str"] for m in nsynth.paper_subset("diverse").values()) == {
        "acoustic": 469, "electronic": 488, "synthetic": 67,
    }  # fmt: skip


def test_env_var_chooses_folder(make_nsynth, monkeypatch):
    root = make_nsynth()
    monkeypatch.setenv("CINR_NSYNTH", str(root))
    assert nsynth.resolve_root() == root
    assert len(nsynth.load(items=2)) == 2


# --------------------------------------------------------------------------- cache


def test_cache_reload_does_not_decode(make_nsynth, monkeypatch):
    root = make_nsynth()
    first = nsynth.load(root)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a wav although the cache was valid")

    monkeypatch.setattr(nsynth, "read_pcm16", no_decoding)
    again = nsynth.load(root)
    np.testing.assert_array_equal(again.audio, first.audio)
    assert again.notes == first.notes


def test_stale_cache_is_rebuilt(make_nsynth):
    root = make_nsynth()
    name = "keyboard_acoustic_001-042-100"
    before = nsynth.load(root, subset=[name]).audio
    write_pcm(root / "audio" / f"{name}.wav", tone(70, 127))  # a different note in its place
    after = nsynth.load(root, subset=[name]).audio
    np.testing.assert_array_equal(after[0], tone(70, 127)[:16000] / np.float32(32768))
    assert not np.array_equal(before, after)


def test_corrupt_cache_is_rebuilt(make_nsynth, isolated_home):
    root = make_nsynth()
    good = nsynth.load(root).audio.copy()
    (npy,) = (isolated_home / "cache").glob("*.npy")
    raw = bytearray(npy.read_bytes())
    raw[-100:] = bytes(100)  # zero the tail of the array, keep the header valid
    npy.write_bytes(bytes(raw))
    np.testing.assert_array_equal(nsynth.load(root).audio, good)
    (isolated_home / "cache" / npy.name).write_bytes(b"not numpy")
    np.testing.assert_array_equal(nsynth.load(root).audio, good)


# --------------------------------------------------------------------------- bad input


def test_missing_folder(tmp_path):
    with pytest.raises(nsynth.NSynthError, match="nope: NSynth folder not found"):
        nsynth.load(tmp_path / "nope")


def test_missing_examples_json(tmp_path):
    with pytest.raises(nsynth.NSynthError, match="examples.json: missing"):
        nsynth.load(tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "malformed JSON"),
        ("[]", "expected a non-empty JSON object"),
        ('{"a": 3}', "entry 'a' is not an object"),
    ],
)
def test_malformed_examples_json(make_nsynth, text, message):
    root = make_nsynth()
    (root / "examples.json").write_text(text)
    with pytest.raises(nsynth.NSynthError, match=message) as err:
        nsynth.load(root)
    assert str(root / "examples.json") in str(err.value)


def test_entry_lacking_keys_or_misnamed(make_nsynth):
    root = make_nsynth()
    examples = json.loads((root / "examples.json").read_text())
    name = FIXTURE_NOTES[0]
    del examples[name]["pitch"]
    (root / "examples.json").write_text(json.dumps(examples))
    with pytest.raises(nsynth.NSynthError, match=f"note '{name}' lacks pitch"):
        nsynth.load(root)
    examples[name]["pitch"] = 31
    examples[name]["note_str"] = "other"
    (root / "examples.json").write_text(json.dumps(examples))
    with pytest.raises(nsynth.NSynthError, match=f"key '{name}' holds note_str 'other'"):
        nsynth.load(root)


def test_listed_note_without_wav(make_nsynth):
    root = make_nsynth()
    (root / "audio" / f"{FIXTURE_NOTES[2]}.wav").unlink()
    with pytest.raises(AudioFileError, match=f"{FIXTURE_NOTES[2]}.wav: wav file not found"):
        nsynth.load(root)


@pytest.mark.parametrize(
    "write, message",
    [
        (
            lambda p: write_pcm(p, tone(60, 100), rate=22050),
            "sample rate is 22050 Hz, expected 16000",
        ),
        (lambda p: write_pcm(p, np.repeat(tone(60, 100), 2), channels=2), "has 2 channels"),
        (lambda p: write_pcm(p, np.zeros(64000 * 3, np.uint8), width=3), "is 24-bit"),
        (lambda p: write_pcm(p, tone(60, 100)[:8000]), "holds 8000 samples, 16000 were asked"),
        (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 4), "not a readable 16-bit PCM"),
        (lambda p: p.write_bytes(p.read_bytes()[:50000]), "truncated, header declares 64000"),
    ],
    ids=["rate", "stereo", "24-bit", "short", "corrupt", "truncated"],
)
def test_bad_wavs_are_named(make_nsynth, write, message):
    root = make_nsynth()
    path = root / "audio" / f"{FIXTURE_NOTES[1]}.wav"
    write(path)
    with pytest.raises(AudioFileError, match=message) as err:
        nsynth.load(root)
    assert str(path) in str(err.value)


def test_float_wav_is_refused(make_nsynth):
    import soundfile

    root = make_nsynth()
    path = root / "audio" / f"{FIXTURE_NOTES[0]}.wav"
    soundfile.write(path, np.zeros(64000, np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="not a readable 16-bit PCM wav"):
        nsynth.load(root)


def test_metadata_sample_rate_must_be_16k(make_nsynth):
    root = make_nsynth()
    examples = json.loads((root / "examples.json").read_text())
    examples[FIXTURE_NOTES[0]]["sample_rate"] = 22050
    (root / "examples.json").write_text(json.dumps(examples))
    with pytest.raises(nsynth.NSynthError, match="says 22050 Hz"):
        nsynth.load(root)


def test_subset_notes_absent_from_folder(make_nsynth):
    root = make_nsynth()
    with pytest.raises(nsynth.NSynthError, match="lacks 1022 of the 1024 notes of set 'keyboard'"):
        nsynth.load(root, subset="keyboard")
    with pytest.raises(nsynth.NSynthError, match="unknown set 'drums'"):
        nsynth.load(root, subset="drums")


def test_too_many_items_or_no_match(make_nsynth):
    root = make_nsynth()
    with pytest.raises(nsynth.NSynthError, match="asked for 9 notes, only 8 match"):
        nsynth.load(root, items=9)
    with pytest.raises(nsynth.NSynthError, match="no note matches"):
        nsynth.load(root, family="vocal")
