"""Your own sound: ``audio.read_any`` (any rate, channels, format) and ``cinr-lab encode``."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch

from cinr_lab import audio, metrics, rendering
from cinr_lab.ops import cli

RATE = audio.NSYNTH_RATE


def tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    "rate,channels,fmt,subtype",
    [(44100, 2, "WAV", "PCM_24"), (48000, 1, "FLAC", "PCM_16"), (8000, 2, "WAV", "FLOAT"),
     (16000, 1, "OGG", "VORBIS")],
)  # fmt: skip
def test_read_any_makes_a_16khz_mono_clip_of_the_asked_length(
    tmp_path, rate, channels, fmt, subtype
):
    wave = tone(rate, 1.5)
    data = np.stack([wave, 0.5 * wave], axis=1)[:, :channels]
    path = tmp_path / f"sound.{fmt.lower()}"
    soundfile.write(path, data, rate, format=fmt, subtype=subtype)
    clip = audio.read_any(path, RATE, RATE)
    assert clip.shape == (RATE,) and clip.dtype == np.float32
    expected = tone(RATE, 1.0) * (0.75 if channels == 2 else 1.0)  # channels averaged
    # the 440 Hz tone survives resampling (away from the edges, where the filters ring)
    core = slice(1000, RATE - 1000)
    assert np.sqrt(np.mean((clip[core] - expected[core]) ** 2)) < 0.02 * np.sqrt(
        np.mean(expected[core] ** 2)
    )


def test_read_any_pads_a_short_clip_and_refuses_what_it_cannot_read(tmp_path):
    short = tmp_path / "short.wav"
    soundfile.write(short, tone(22050, 0.25), 22050)
    clip = audio.read_any(short, RATE, RATE)
    assert clip.shape == (RATE,) and not clip[RATE // 4 + 10 :].any()  # zero-padded
    assert np.abs(clip[: RATE // 4 - 10]).max() > 0.4
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(audio.AudioFileError, match="notes.wav"):
        audio.read_any(text)
    with pytest.raises(audio.AudioFileError, match="not found"):
        audio.read_any(tmp_path / "missing.flac")
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, np.float32), RATE)
    with pytest.raises(audio.AudioFileError, match="no samples"):
        audio.read_any(empty)


def test_encode_command_fits_a_stereo_44k_sound_and_never_overwrites(tiny_run, tmp_path, capsys):
    source = tmp_path / "my sound.wav"
    soundfile.write(source, np.stack([tone(44100, 2.0, 220)] * 2, axis=1), 44100)
    out = tmp_path / "encoded"
    args = ["encode", str(source), "--model", str(tiny_run.path), "--out", str(out),
            "--steps", "40"]  # fmt: skip
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "SNR" in printed and "nearest training latent" in printed
    fitted, rate = soundfile.read(out / "my sound-input.wav")
    estimate, _ = soundfile.read(out / "my sound.wav")
    assert rate == RATE and fitted.shape == estimate.shape == (tiny_run.model_config.samples,)
    record = torch.load(out / "my sound-latent.pt", weights_only=True)
    z = record["latent"]
    assert z.shape == (tiny_run.model_config.latent_dim,)
    np.testing.assert_allclose(
        rendering.render(tiny_run.model, z[None])[0].numpy(), estimate, atol=1e-6
    )
    # the fitted latent explains the sound better than the latent encoding starts from
    start = torch.randn(1, z.numel(), generator=torch.Generator().manual_seed(0)) * 1e-3
    before = metrics.mse(fitted[None], rendering.render(tiny_run.model, start).numpy())[0]
    assert metrics.mse(fitted[None], estimate[None])[0] < before
    # a second run refuses to replace the outputs
    before_bytes = (out / "my sound.wav").read_bytes()
    assert cli.main(args) == 2
    assert "exists" in capsys.readouterr().err
    assert (out / "my sound.wav").read_bytes() == before_bytes
    assert cli.main([*args, "--overwrite"]) == 0


def test_encode_command_names_what_is_wrong(tiny_run, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk")
    out = tmp_path / "out"
    assert cli.main(["encode", str(bad), "--model", str(tiny_run.path), "--out", str(out)]) == 2
    assert "bad.wav" in capsys.readouterr().err
    assert not out.exists()  # nothing written for a sound that could not be read
    assert cli.main(["encode", str(bad), "--model", "no-such-model", "--out", str(out)]) == 2
    assert "no-such-model" in capsys.readouterr().err
    assert cli.main(["encode", str(bad), "--model", str(tiny_run.path), "--out", str(out),
                     "--steps", "0"]) == 2  # fmt: skip
    assert "--steps" in capsys.readouterr().err
