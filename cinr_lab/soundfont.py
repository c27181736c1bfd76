"""Render the embedded NSynth stand-in from a General MIDI SoundFont.

NSynth itself (tens of GB) cannot be downloaded everywhere, so the project renders a stand-in with
NSynth's layout, names and schema: one note for every note of the paper's two 1024-note lists
(:func:`cinr_lab.nsynth.paper_subset`), same pitch, velocity, family and source, played by real
sampled instruments. The default SoundFont is ``TimGM6mb.sf2``, which the ``pretty_midi`` package
ships; the renderer is TinySoundFont through the ``tinysoundfont`` bindings. Any other GM ``.sf2``
can be passed instead.

How a note is made, as NSynth made its own: a fresh synthesizer plays the key at the note's
velocity for 3 s, then releases it, for 4 s in all; the stereo render at 48 kHz is averaged to mono,
freed of DC (2nd-order high-pass at 10 Hz, below the lowest fundamental, 32.7 Hz), shaped by the
instrument's variant (below), resampled to 16 kHz with soxr and quantized to 16-bit.

Each NSynth instrument (``instrument_str``) becomes one GM program from a pool for its family and
source (:data:`PROGRAMS`) times one :class:`Variant` of controller-like settings (brightness,
attack, chorus detune, release), assigned in sorted order, so the diverse set's 154 instruments and
the keyboard set's 74 are all distinct sounds. Every step is deterministic: a build writes the
same bytes every time, and a note renders the same whether it is built alone or with the set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal
import soxr

from cinr_lab import atomic, checks
from cinr_lab.audio import NSYNTH_RATE, to_pcm16, write_wav
from cinr_lab.schema import (
    FAMILIES,
    QUALITIES,
    SETS,
    SOURCES,
    NSynthError,
    embedded_root,
    paper_subset,
)

BUILD_VERSION = 1
"""Bumped whenever rendering changes, so an older embedded set on disk is rebuilt."""

RENDER_RATE = 48000
"""Rate TinySoundFont renders at before resampling to 16 kHz."""

HOLD_SECONDS, NOTE_SECONDS = 3.0, 4.0
"""NSynth's timing: the key is held 3 s, then released; each note lasts 4 s."""

DEFAULT_GAIN_DB = 0.0
"""Renderer gain. With TimGM6mb.sf2 the loudest of the 2022 notes peaks at 0.87 of full scale."""

PROGRAMS: dict[tuple[str, str], tuple[int, ...]] = {
    ("bass", "acoustic"): (32,),
    ("bass", "electronic"): (33, 34, 35, 36, 37),
    ("bass", "synthetic"): (38, 39),
    ("brass", "acoustic"): (56, 57, 58, 60, 61),
    ("brass", "electronic"): (59,),
    ("brass", "synthetic"): (62, 63),
    ("flute", "acoustic"): (72, 73, 74, 75),
    ("flute", "electronic"): (76, 77),
    ("flute", "synthetic"): (78, 79),
    ("guitar", "acoustic"): (24, 25),
    ("guitar", "electronic"): (26, 27, 28, 29, 30),
    ("guitar", "synthetic"): (31, 84),
    ("keyboard", "acoustic"): (0, 1, 3, 6),
    ("keyboard", "electronic"): (2, 4, 5, 7),
    ("keyboard", "synthetic"): (80, 81, 88, 89),
    ("mallet", "acoustic"): (9, 11, 12, 13, 14),
    ("mallet", "electronic"): (8, 10, 15),
    ("mallet", "synthetic"): (98, 112),
    ("organ", "acoustic"): (19, 20),
    ("organ", "electronic"): (16, 17, 18),
    ("organ", "synthetic"): (21, 23),
    ("reed", "acoustic"): (65, 66, 68, 70, 71),
    ("reed", "electronic"): (64, 67),
    ("reed", "synthetic"): (22, 69),
    ("string", "acoustic"): (40, 41, 42, 43, 48),
    ("string", "electronic"): (44, 45, 46),
    ("string", "synthetic"): (50, 51),
    ("synth_lead", "acoustic"): (82, 83),
    ("synth_lead", "electronic"): (85, 86),
    ("synth_lead", "synthetic"): (87, 91),
    ("vocal", "acoustic"): (52, 53),
    ("vocal", "electronic"): (54,),
    ("vocal", "synthetic"): (94,),
}
"""GM programs (0-based) that stand in for each NSynth (family, source); pools are disjoint."""


@dataclasses.dataclass(frozen=True)
class Variant:
    """Settings that turn one GM program into several distinct instruments.

    Applied to the 48 kHz mono render ``x`` in this order:
    chorus: ``x = (voice(+c cents) + voice(-c cents)) / 2``, two detuned voices of the note;
    brightness: ``"dark"`` is a 2nd-order Butterworth low-pass at 3 kHz, ``"bright"`` adds a
    2nd-order high-pass at 2.5 kHz (+6 dB shelf); attack: a linear fade-in over ``attack_ms``;
    release: ``"short"`` multiplies everything after note-off by ``exp(-t / 80 ms)``.
    """

    brightness: str = "neutral"
    attack_ms: float = 0.0
    chorus_cents: float = 0.0
    release: str = "natural"

    @property
    def qualities(self) -> tuple[str, ...]:
        """The NSynth qualities this variant gives a note."""
        return (self.brightness,) if self.brightness in ("bright", "dark") else ()


VARIANTS: tuple[Variant, ...] = tuple(
    Variant(brightness, attack, chorus, release)
    for release, chorus, attack, brightness in itertools.product(
        ("natural", "short"), (0.0, 12.0), (0.0, 40.0), ("neutral", "dark", "bright")
    )
)
"""All 24 variants, plain first: the i-th instrument of a pool of P programs gets variant i // P."""


# --------------------------------------------------------------------------- soundfont


def default_soundfont() -> Path:
    """``TimGM6mb.sf2``, the General MIDI SoundFont the ``pretty_midi`` package ships."""
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tinysoundfont():
    """The ``tinysoundfont`` bindings, or an error saying how to install them without PortAudio."""
    try:
        import tinysoundfont
    except ImportError:
        raise NSynthError(
            "rendering the embedded set needs tinysoundfont: `pip install --no-deps "
            "tinysoundfont` (it declares pyaudio, which is for live playback, unused here, and "
            "needs PortAudio's headers to build); or `pip install 'cinr_lab[soundfont]'` where "
            "PortAudio is installed; or point CINR_NSYNTH at an NSynth download"
        ) from None
    return tinysoundfont


def _check_soundfont(path: Path, programs: set[int]) -> None:
    tinysoundfont = _tinysoundfont()

    if not path.is_file():
        raise NSynthError(f"{path}: SoundFont not found")
    synth = tinysoundfont.Synth(samplerate=RENDER_RATE)
    try:
        sfid = synth.sfload(str(path))
    except Exception as err:  # tinysoundfont raises a bare Exception for unreadable files
        raise NSynthError(f"{path}: not a readable SoundFont ({err})") from err
    missing = sorted(p for p in programs if synth.sfpreset_name(sfid, 0, p) is None)
    if missing:
        raise NSynthError(
            f"{path}: lacks General MIDI presets (bank 0) {missing}; the embedded set needs a "
            "GM SoundFont"
        )


# --------------------------------------------------------------------------- instruments


def instrument_map(notes: dict[str, dict[str, Any]]) -> dict[str, tuple[int, Variant]]:
    """Assign each NSynth instrument of ``notes`` a GM program and a variant.

    Instruments are grouped by (family, source) and sorted by name; the i-th of a group with a
    pool of P programs gets ``(pool[i % P], VARIANTS[i // P])``.

    Returns:
        ``{instrument_str: (program, variant)}``, every value distinct.
    """
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for meta in notes.values():
        key = (meta["instrument_family_str"], meta["instrument_source_str"])
        if key not in PROGRAMS:
            raise NSynthError(f"no GM programs for family/source {key} (note {meta['note_str']})")
        groups[key].add(meta["instrument_str"])
    out = {}
    for key, names in groups.items():
        pool = PROGRAMS[key]
        for i, name in enumerate(sorted(names)):
            if i // len(pool) >= len(VARIANTS):
                raise NSynthError(f"more than {len(pool) * len(VARIANTS)} instruments in {key}")
            out[name] = (pool[i % len(pool)], VARIANTS[i // len(pool)])
    return out


# --------------------------------------------------------------------------- rendering

_DC_BLOCK = scipy.signal.butter(2, 10, "highpass", fs=RENDER_RATE, output="sos")


def render_note(
    soundfont: str | os.PathLike,
    program: int,
    pitch: int,
    velocity: int,
    variant: Variant = Variant(),
    gain_db: float = DEFAULT_GAIN_DB,
) -> np.ndarray:
    """Render one NSynth-style note.

    Args:
        soundfont: a General MIDI ``.sf2`` file.
        program: GM program, 0-based, bank 0.
        pitch: MIDI key.
        velocity: MIDI velocity, 1–127.
        variant: the instrument's settings (see :class:`Variant`).
        gain_db: renderer gain.

    Returns:
        ``[64000]`` float64 at 16 kHz, before quantization (may exceed ±1 if ``gain_db`` is too
        high for the SoundFont; :func:`build` checks).
    """
    tinysoundfont = _tinysoundfont()
    hold, total = int(HOLD_SECONDS * RENDER_RATE), int(NOTE_SECONDS * RENDER_RATE)
    synth = tinysoundfont.Synth(samplerate=RENDER_RATE, gain=gain_db)
    sfid = synth.sfload(str(soundfont))
    tunings = (
        (variant.chorus_cents / 100, -variant.chorus_cents / 100)
        if variant.chorus_cents
        else (0.0,)
    )
    for chan, tuning in enumerate(tunings):
        synth.program_select(chan, sfid, 0, program)
        synth.set_tuning(chan, tuning)
        synth.noteon(chan, pitch, velocity)
    head = np.frombuffer(synth.generate(hold), np.float32)
    for chan in range(len(tunings)):
        synth.noteoff(chan, pitch)
    tail = np.frombuffer(synth.generate(total - hold), np.float32)
    stereo = np.concatenate([head, tail]).astype(np.float64).reshape(-1, 2)
    x = stereo.mean(axis=1) / len(tunings)
    x = scipy.signal.sosfilt(_DC_BLOCK, x)  # some samples carry a DC offset; recordings don't
    if variant.brightness == "dark":
        x = scipy.signal.sosfilt(
            scipy.signal.butter(2, 3000, "lowpass", fs=RENDER_RATE, output="sos"), x
        )
    elif variant.brightness == "bright":
        x = x + scipy.signal.sosfilt(
            scipy.signal.butter(2, 2500, "highpass", fs=RENDER_RATE, output="sos"), x
        )
    if variant.attack_ms:
        ramp = int(variant.attack_ms * RENDER_RATE / 1000)
        x[:ramp] *= np.linspace(0.0, 1.0, ramp, endpoint=False)
    if variant.release == "short":
        x[hold:] *= np.exp(-np.arange(total - hold) / (0.08 * RENDER_RATE))
    return soxr.resample(x, RENDER_RATE, NSYNTH_RATE, quality="HQ")


def note_metadata(meta: dict[str, Any], program: int, variant: Variant, soundfont: Path) -> dict:
    """The stand-in note's ``examples.json`` entry: NSynth's schema, plus how it was rendered.

    Identity fields (name, pitch, velocity, instrument, family, source) copy the real note;
    ``qualities`` describe the render (from its variant and program), and ``render`` records the
    SoundFont, GM program and variant.
    """
    qualities = set(variant.qualities) | ({"distortion"} if program in (29, 30) else set())
    out = {
        k: meta[k]
        for k in ("note", "note_str", "pitch", "velocity", "instrument", "instrument_str")
    }
    out |= {
        "instrument_family": FAMILIES.index(meta["instrument_family_str"]),
        "instrument_family_str": meta["instrument_family_str"],
        "instrument_source": SOURCES.index(meta["instrument_source_str"]),
        "instrument_source_str": meta["instrument_source_str"],
        "sample_rate": NSYNTH_RATE,
        "qualities": [int(q in qualities) for q in QUALITIES],
        "qualities_str": [q for q in QUALITIES if q in qualities],
        "render": {"soundfont": soundfont.name, "program": program, **dataclasses.asdict(variant)},
    }
    return out


def paper_notes() -> dict[str, dict[str, Any]]:
    """The union of the paper's two note lists (2022 notes: 26 are in both)."""
    notes: dict[str, dict[str, Any]] = {}
    for name in SETS:
        notes |= paper_subset(name)
    return dict(sorted(notes.items()))


def build(
    out: str | os.PathLike | None = None,
    *,
    soundfont: str | os.PathLike | None = None,
    notes: dict[str, dict[str, Any]] | None = None,
    gain_db: float = DEFAULT_GAIN_DB,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Render an NSynth-layout folder (``examples.json`` + ``audio/*.wav`` + ``BUILD.json``).

    The folder is written beside ``out`` under a temporary name and renamed into place at the
    end, so an interrupted build never leaves a half-written set where the reader looks.

    Args:
        out: destination folder (default: :func:`embedded_root`): absent, empty, or an earlier
            build (it has a ``BUILD.json``), which is replaced; anything else only with ``force``.
        soundfont: a GM ``.sf2`` (default: :func:`default_soundfont`).
        notes: ``{note_str: NSynth metadata}`` to render (default: :func:`paper_notes`).
        gain_db: renderer gain.
        progress: show a progress bar (where the output is a terminal or notebook).
        force: replace ``out`` whatever it holds.

    Returns:
        The folder.

    Raises:
        NSynthError: ``out`` holds something other than a build, an unreadable SoundFont,
            missing GM presets, or a note that would clip.
    """
    from tqdm.auto import tqdm

    checks.number("gain_db", gain_db, minimum=-math.inf)
    out = Path(out) if out is not None else embedded_root()
    if out.exists() and not force:
        if not out.is_dir():
            raise NSynthError(f"{out}: exists and is not a folder; choose another --out")
        if any(out.iterdir()) and not (out / "BUILD.json").is_file():
            raise NSynthError(
                f"{out}: not empty and not a set built by cinr-lab (no BUILD.json); nothing was "
                "changed: choose another --out, or pass --force to replace it"
            )
    soundfont = Path(soundfont) if soundfont is not None else default_soundfont()
    notes = paper_notes() if notes is None else notes
    instruments = instrument_map(notes)
    _check_soundfont(soundfont, {program for program, _ in instruments.values()})
    with atomic.atomic_folder(out) as stage:
        (stage / "audio").mkdir()
        examples = {}
        for name, meta in tqdm(
            notes.items(), desc="rendering notes", disable=None if progress else True
        ):
            program, variant = instruments[meta["instrument_str"]]
            x = render_note(soundfont, program, meta["pitch"], meta["velocity"], variant, gain_db)
            peak = float(np.abs(x).max())
            if peak >= 1.0:
                raise NSynthError(
                    f"{soundfont}: note {name} peaks at {peak:.2f} (> full scale) with gain "
                    f"{gain_db} dB; pass a lower gain"
                )
            write_wav(stage / "audio" / f"{name}.wav", to_pcm16(x))
            examples[name] = note_metadata(meta, program, variant, soundfont)
        atomic.write_text(stage / "examples.json", json.dumps(examples, indent=1, sort_keys=True))
        manifest = {
            "build_version": BUILD_VERSION, "soundfont": soundfont.name,
            "soundfont_sha256": _sha256(soundfont), "gain_db": gain_db, "notes": len(examples),
        }  # fmt: skip
        atomic.write_text(stage / "BUILD.json", json.dumps(manifest, indent=1, sort_keys=True))
    return out


def is_current(root: str | os.PathLike) -> bool:
    """Whether ``root`` holds a set built by this version with the default font and gain."""
    root = Path(root)
    try:
        manifest = json.loads((root / "BUILD.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        manifest.get("build_version") == BUILD_VERSION
        and manifest.get("soundfont_sha256") == _sha256(default_soundfont())
        and manifest.get("gain_db") == DEFAULT_GAIN_DB
        and (root / "examples.json").is_file()
    )


def ensure_embedded() -> Path:
    """The embedded set's folder, rendering it first if it is absent or out of date."""
    root = embedded_root()
    if not is_current(root):
        print(f"Rendering the embedded NSynth stand-in into {root} (once, about a minute)...")
        try:
            build(root, force=True)  # the folder is ours
        except OSError as err:
            raise NSynthError(
                f"{err.filename or root}: cannot render the embedded set there ({err.strerror}); "
                "set CINR_HOME to a writable folder, or CINR_NSYNTH to an NSynth folder"
            ) from err
    return root
