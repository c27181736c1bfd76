"""The embedded-set builder: real sampled instruments, NSynth's schema, deterministic bytes."""

from __future__ import annotations

import hashlib
import json
import sys
import wave

import librosa
import numpy as np
import pytest

from cinr_lab import nsynth, soundfont

ALL_NOTES = soundfont.paper_notes()
# One note per (family, source) of the paper's sets, plus the same instrument and pitch at two
# velocities: small enough to render in a second.
SMALL = (
    "guitar_acoustic_000-031-100",
    "guitar_electronic_000-038-127",
    "guitar_synthetic_000-070-127",
    "keyboard_acoustic_001-042-100",
    "keyboard_acoustic_003-060-127",
    "keyboard_acoustic_003-060-025",
    "keyboard_electronic_000-060-127",
    "keyboard_synthetic_003-060-075",
    "mallet_acoustic_001-028-050",
    "mallet_electronic_000-046-025",
)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    notes = {n: ALL_NOTES[n] for n in SMALL}
    return soundfont.build(tmp_path_factory.mktemp("emb") / "set", notes=notes, progress=False)


def digest(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_instrument_gets_a_distinct_program_and_variant():
    mapping = soundfont.instrument_map(ALL_NOTES)
    assert len(mapping) == 154 + 74 - len(
        {m["instrument_str"] for m in nsynth.paper_subset("diverse").values()}
        & {m["instrument_str"] for m in nsynth.paper_subset("keyboard").values()}
    )
    assert len(set(mapping.values())) == len(mapping)
    for meta in ALL_NOTES.values():
        program, _ = mapping[meta["instrument_str"]]
        pool = soundfont.PROGRAMS[(meta["instrument_family_str"], meta["instrument_source_str"])]
        assert program in pool, meta["note_str"]


def test_program_pools_are_disjoint_gm_presets():
    programs = [p for pool in soundfont.PROGRAMS.values() for p in pool]
    assert len(programs) == len(set(programs))
    assert all(0 <= p < 128 for p in programs)
    soundfont._check_soundfont(soundfont.default_soundfont(), set(programs))  # all present


def test_layout_and_schema(small_build):
    examples = nsynth.read_examples(small_build)  # validates the schema
    assert sorted(examples) == sorted(SMALL)
    for name, meta in examples.items():
        real = ALL_NOTES[name]
        for key in ("pitch", "velocity", "instrument", "instrument_str", "note"):
            assert meta[key] == real[key]
        assert nsynth.FAMILIES[meta["instrument_family"]] == meta["instrument_family_str"]
        assert nsynth.SOURCES[meta["instrument_source"]] == meta["instrument_source_str"]
        assert len(meta["qualities"]) == len(nsynth.QUALITIES)
        with wave.open(str(small_build / "audio" / f"{name}.wav")) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            assert w.getnframes() == 64000
    manifest = json.loads((small_build / "BUILD.json").read_text())
    assert manifest["notes"] == len(SMALL) and manifest["soundfont"] == "TimGM6mb.sf2"


def test_build_is_byte_identical_and_independent_of_the_other_notes(small_build, tmp_path):
    again = soundfont.build(
        tmp_path / "again", notes={n: ALL_NOTES[n] for n in SMALL}, progress=False
    )
    assert digest(again) == digest(small_build)
    alone = soundfont.build(
        tmp_path / "alone", notes={SMALL[3]: ALL_NOTES[SMALL[3]]}, progress=False
    )
    wav = f"audio/{SMALL[3]}.wav"
    assert digest(alone)[wav] == digest(small_build)[wav]


def test_pitch_velocity_and_release_are_audible(small_build):
    clips = nsynth.load(small_build, seconds=4.0)
    by_name = dict(zip(clips.names, clips.audio, strict=True))
    loud = by_name["keyboard_acoustic_003-060-127"]
    soft = by_name["keyboard_acoustic_003-060-025"]
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))  # noqa: E731
    assert rms(loud[:16000]) > 3 * rms(soft[:16000])
    f0 = librosa.yin(loud[:16000], fmin=100, fmax=1000, sr=16000, frame_length=2048)
    assert np.median(f0) == pytest.approx(librosa.midi_to_hz(60), rel=0.02)
    # Held for 3 s, released at 3 s: the last half second is far quieter than the held sound.
    assert rms(loud[40000:48000]) > 5 * rms(loud[56000:64000])


def test_variants_change_the_timbre():
    sf = soundfont.default_soundfont()

    def share_above_2k(variant):  # E.Piano 1, middle C: fraction of energy above 2 kHz
        power = np.abs(np.fft.rfft(soundfont.render_note(sf, 4, 60, 100, variant)[:16000])) ** 2
        return power[2000:].sum() / power.sum()  # 1 Hz bins

    plain = share_above_2k(soundfont.Variant())
    assert share_above_2k(soundfont.Variant(brightness="dark")) < 0.6 * plain
    assert share_above_2k(soundfont.Variant(brightness="bright")) > 1.8 * plain
    soft_attack = soundfont.render_note(sf, 4, 60, 100, soundfont.Variant(attack_ms=40))
    hard_attack = soundfont.render_note(sf, 4, 60, 100)
    assert np.abs(soft_attack[:160]).max() < 0.5 * np.abs(hard_attack[:160]).max()


def test_bad_soundfonts_are_named(tmp_path):
    with pytest.raises(nsynth.NSynthError, match="missing.sf2: SoundFont not found"):
        soundfont.build(tmp_path / "x", soundfont=tmp_path / "missing.sf2", notes={})
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF0000sfbk" + bytes(64))
    with pytest.raises(nsynth.NSynthError, match="junk.sf2: not a readable SoundFont"):
        soundfont.build(tmp_path / "x", soundfont=junk, notes={SMALL[0]: ALL_NOTES[SMALL[0]]})
    with pytest.raises(nsynth.NSynthError, match=r"lacks General MIDI presets \(bank 0\) \[128\]"):
        soundfont._check_soundfont(soundfont.default_soundfont(), {0, 128})
    assert not (tmp_path / "x").exists()


def test_clipping_gain_is_refused_and_leaves_no_folder(tmp_path):
    note = "mallet_acoustic_001-028-050"
    with pytest.raises(nsynth.NSynthError, match="peaks at .* pass a lower gain"):
        soundfont.build(
            tmp_path / "loud", notes={note: ALL_NOTES[note]}, gain_db=40, progress=False
        )
    assert list(tmp_path.iterdir()) == []


def test_rebuild_replaces_the_old_set(small_build, tmp_path):
    out = soundfont.build(tmp_path / "set", notes={SMALL[0]: ALL_NOTES[SMALL[0]]}, progress=False)
    soundfont.build(out, notes={SMALL[1]: ALL_NOTES[SMALL[1]]}, progress=False)
    assert list(nsynth.read_examples(out)) == [SMALL[1]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_is_current_needs_a_matching_manifest(small_build, tmp_path):
    assert soundfont.is_current(small_build)  # default font, gain and version
    assert not soundfont.is_current(tmp_path)
    (tmp_path / "BUILD.json").write_text("{broken")
    assert not soundfont.is_current(tmp_path)


def test_embedded_set_mirrors_the_paper_sets(embedded_home, capsys):
    """`cinr-lab data info` on the embedded set prints the distributions of the paper's sets."""
    from cinr_lab.ops.cli import main

    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    diverse, keyboard = out.split("\n\n")
    assert diverse.startswith("diverse: 1024 notes, 154 instruments")
    assert "families:   guitar 341, keyboard 330, mallet 353" in diverse
    assert "sources:    acoustic 469, electronic 488, synthetic 67" in diverse
    assert "pitches:    24-84 (61 distinct)" in diverse
    assert "velocities: 25: 178, 50: 197, 75: 227, 100: 209, 127: 213" in diverse
    assert keyboard.startswith("keyboard: 1024 notes, 74 instruments")
    assert "sources:    acoustic 133, electronic 781, synthetic 110" in keyboard
    assert "pitches:    60-64 (5 distinct)" in keyboard
    assert "velocities: 25: 167, 50: 187, 75: 236, 100: 205, 127: 229" in keyboard
    for name in nsynth.SETS:  # every wav of both sets passes the reader's checks
        clips = nsynth.load(subset=name, cache=False)
        assert clips.audio.shape == (1024, 16000)
        assert np.abs(clips.audio).max() < 1.0
        assert (np.sqrt((clips.audio**2).mean(axis=1)) > 1e-3).all()  # no silent note


def test_without_tinysoundfont_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    """A plain `pip install .` leaves tinysoundfont out (its pyaudio needs PortAudio's headers):
    rendering then stops with the way to install it, not an ImportError (issue 29)."""
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # import now raises ImportError
    with pytest.raises(nsynth.NSynthError, match=r"pip install --no-deps tinysoundfont.*PortAudio"):
        soundfont.build(out=tmp_path / "embedded")
    assert not (tmp_path / "embedded").exists() or not any((tmp_path / "embedded").iterdir())
