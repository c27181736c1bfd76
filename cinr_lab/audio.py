"""Wav files in and out, and inline playback.

NSynth stores every note as a 16 kHz, mono, 16-bit PCM wav. :func:`read_pcm16` reads exactly that
and refuses anything else with an error that names the file, so a wrong file never becomes a
silently wrong clip. Floats follow NSynth's convention: ``x = int16 / 32768``, in [-1, 1).
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path

import numpy as np
import soundfile

from cinr_lab.atomic import atomic_path

NSYNTH_RATE = 16000
"""NSynth's sample rate in Hz."""

PCM16_SCALE = 32768.0
"""Full scale of 16-bit PCM: ``float = int16 / PCM16_SCALE``."""


class AudioFileError(ValueError):
    """A wav file is missing, unreadable, truncated or not in the expected format."""


def read_pcm16(
    path: str | os.PathLike, frames: int | None = None, *, rate: int = NSYNTH_RATE
) -> np.ndarray:
    """Read the first ``frames`` samples of a mono 16-bit PCM wav as float32.

    The whole data chunk is checked against the length its header declares, so a truncated file
    is reported even when the requested start of it is intact.

    Args:
        path: the wav file.
        frames: how many samples to return from the start (default: all).
        rate: the sample rate the file must have, in Hz.

    Returns:
        ``[frames]`` float32 in [-1, 1).

    Raises:
        AudioFileError: missing file, not a PCM wav, wrong rate / channels / bit depth,
            truncated data, or fewer than ``frames`` samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: wav file not found")
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width = wav.getnchannels(), wav.getsampwidth()
            file_rate, declared = wav.getframerate(), wav.getnframes()
            if channels != 1:
                raise AudioFileError(f"{path}: has {channels} channels, expected mono")
            if width != 2:
                raise AudioFileError(f"{path}: is {8 * width}-bit, expected 16-bit PCM")
            if file_rate != rate:
                raise AudioFileError(f"{path}: sample rate is {file_rate} Hz, expected {rate} Hz")
            data = wav.readframes(declared)
    except (wave.Error, EOFError) as err:
        raise AudioFileError(f"{path}: not a readable 16-bit PCM wav ({err})") from err
    if len(data) != 2 * declared:
        raise AudioFileError(
            f"{path}: truncated, header declares {declared} samples but the file holds "
            f"{len(data) // 2}"
        )
    if frames is None:
        frames = declared
    if declared < frames:
        raise AudioFileError(f"{path}: holds {declared} samples, {frames} were asked for")
    return np.frombuffer(data, dtype="<i2", count=frames).astype(np.float32) / PCM16_SCALE


def read_any(
    path: str | os.PathLike, rate: int = NSYNTH_RATE, samples: int | None = None
) -> np.ndarray:
    """Read any sound file soundfile can (wav, flac, ogg, aiff, ...) as a mono clip at ``rate``.

    Channels are averaged to mono, the clip is resampled with soxr (its high-quality setting)
    when the file has another rate, then trimmed or zero-padded to ``samples``. This is for
    sounds of your own (``cinr-lab encode``); NSynth's notes go through :func:`read_pcm16`.

    Returns:
        ``[samples]`` (or as long as the resampled file) float32.

    Raises:
        AudioFileError: missing, unreadable or empty file, or non-finite samples.
    """
    import soxr

    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: sound file not found")
    try:
        data, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioFileError(f"{path}: not a sound file soundfile can read ({err})") from err
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise AudioFileError(f"{path}: holds no samples")
    if not np.isfinite(data).all():
        raise AudioFileError(f"{path}: holds non-finite samples (NaN or inf)")
    mono = data.mean(axis=1)
    if file_rate != rate:
        mono = soxr.resample(mono, file_rate, rate, quality="HQ").astype(np.float32)
    if samples is not None:
        mono = np.pad(mono[:samples], (0, max(0, samples - len(mono))))
    return np.ascontiguousarray(mono, np.float32)


def to_pcm16(wave_: np.ndarray) -> np.ndarray:
    """Quantize float audio to int16 with NSynth's scale, clipping to the representable range."""
    return np.clip(np.round(np.asarray(wave_, np.float64) * PCM16_SCALE), -32768, 32767).astype(
        np.int16
    )


def write_wav(
    path: str | os.PathLike, wave_: np.ndarray, rate: int = NSYNTH_RATE, *, subtype: str = "PCM_16"
) -> None:
    """Atomically write a mono wav.

    Args:
        path: destination file; its folder must exist.
        wave_: ``[samples]`` float audio in [-1, 1] (or int16 for ``PCM_16``).
        rate: sample rate in Hz.
        subtype: ``"PCM_16"`` (NSynth's format) or ``"FLOAT"`` (32-bit float, lossless for
            model output).
    """
    wave_ = np.asarray(wave_)
    if wave_.ndim != 1:
        raise ValueError(f"{path}: expected a mono [samples] array, got shape {wave_.shape}")
    if subtype == "PCM_16":
        data = wave_ if wave_.dtype == np.int16 else to_pcm16(wave_)
    elif subtype == "FLOAT":
        data = wave_.astype(np.float32)
    else:
        raise ValueError(f"subtype must be 'PCM_16' or 'FLOAT', got {subtype!r}")
    with atomic_path(path) as tmp:
        soundfile.write(tmp, data, rate, subtype=subtype, format="WAV")


def wav_bytes(wave_: np.ndarray, rate: int = NSYNTH_RATE) -> bytes:
    """A mono 16-bit PCM wav file in memory (for an ``ipywidgets.Audio`` player)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, to_pcm16(wave_), rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def play(wave_: np.ndarray, rate: int = NSYNTH_RATE):
    """An inline player for a notebook, at the clip's true loudness.

    ``normalize=False`` keeps loudness differences between notes audible and lets a silent clip
    play as silence instead of raising a warning.

    Args:
        wave_: ``[samples]`` float audio in [-1, 1].
        rate: sample rate in Hz.

    Returns:
        An ``IPython.display.Audio`` object; a notebook shows it when it is a cell's last value.
    """
    from IPython.display import Audio  # imported here: the library must not need a notebook

    return Audio(np.clip(np.asarray(wave_, np.float32), -1.0, 1.0), rate=rate, normalize=False)
