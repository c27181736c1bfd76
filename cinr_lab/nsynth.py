"""Read NSynth-layout folders: ``examples.json`` plus ``audio/<note_str>.wav``.

The layout is NSynth's "jsonwav" release (Engel et al., 2017): ``examples.json`` maps each
``note_str`` (e.g. ``"keyboard_acoustic_004-060-025"``) to its metadata, and every note is a
4-second, 16 kHz, mono, 16-bit wav. The same reader serves a real NSynth download (by argument or
the ``CINR_NSYNTH`` environment variable) and the embedded stand-in set that
:mod:`cinr_lab.soundfont` renders with the same names and schema.

Typical use::

    clips = nsynth.load(subset="keyboard", items=64)   # embedded set unless told otherwise
    clips.audio.shape                                  # (64, 16000), float32 in [-1, 1)

Decoded selections are cached (``.npy`` plus a JSON fingerprint of every source file), so a
reload reads one array instead of ``examples.json`` and every wav. A cache whose sources changed,
or that fails its checksum, is rebuilt rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cinr_lab import atomic
from cinr_lab.audio import NSYNTH_RATE, AudioFileError, read_pcm16
from cinr_lab.schema import FAMILIES as FAMILIES
from cinr_lab.schema import NOTE_SECONDS as NOTE_SECONDS
from cinr_lab.schema import QUALITIES as QUALITIES
from cinr_lab.schema import REQUIRED_KEYS as REQUIRED_KEYS
from cinr_lab.schema import SETS as SETS
from cinr_lab.schema import SOURCES as SOURCES
from cinr_lab.schema import VELOCITIES as VELOCITIES
from cinr_lab.schema import NSynthError as NSynthError
from cinr_lab.schema import embedded_root
from cinr_lab.schema import home as home
from cinr_lab.schema import paper_subset as paper_subset

_CACHE_VERSION = 1

KEY_TYPES: dict[str, type] = {
    "note_str": str, "pitch": int, "velocity": int, "instrument": int, "instrument_str": str,
    "instrument_family": int, "instrument_family_str": str, "instrument_source": int,
    "instrument_source_str": str, "sample_rate": int, "qualities": list, "qualities_str": list,
}  # fmt: skip
"""The type of each required ``examples.json`` field (NSynth's schema)."""


# --------------------------------------------------------------------------- locations


def resolve_root(root: str | os.PathLike | None = None) -> Path:
    """Choose the data folder: ``root`` if given, else ``$CINR_NSYNTH``, else the embedded set.

    The embedded set is rendered on first use (about a minute); see :mod:`cinr_lab.soundfont`.

    Args:
        root: an NSynth-layout folder, or ``None`` for the default.

    Returns:
        The folder, which holds ``examples.json`` and ``audio/``.
    """
    origin = ""
    if root is None and os.environ.get("CINR_NSYNTH"):
        root, origin = os.environ["CINR_NSYNTH"], " (from $CINR_NSYNTH)"
    if root is None:
        from cinr_lab import soundfont  # the builder needs the renderer; import only when used

        return soundfont.ensure_embedded()
    root = Path(root).expanduser()
    if not root.is_dir():
        raise NSynthError(
            f"{root}{origin}: NSynth folder not found (expected examples.json and audio/)"
        )
    return root


def identity(root: str | os.PathLike) -> dict[str, str]:
    """What data the folder ``root`` holds, as a run records it.

    ``examples_sha256`` fingerprints its ``examples.json`` (every note's name and metadata; for the
    embedded set also the GM program and variant each was rendered with); a folder rendered by
    :mod:`cinr_lab.soundfont` (it has a ``BUILD.json``) adds its SoundFont's checksum and the
    renderer's build version. ``root``
    is recorded to name the folder in messages (``"(the embedded set)"`` for the default one), not
    compared: a moved folder is the same data.

    Returns:
        ``{"source": "soundfont" | "nsynth", "examples_sha256": ..., ["soundfont_sha256": ...,
        "build_version": ...,] "root": ...}``.
    """
    root = Path(root)
    try:
        examples = (root / "examples.json").read_bytes()
    except OSError as err:
        raise NSynthError(f"{root / 'examples.json'}: cannot read ({err.strerror})") from None
    ident = {"source": "nsynth", "examples_sha256": hashlib.sha256(examples).hexdigest()}
    try:
        build = json.loads((root / "BUILD.json").read_text())
        ident |= {
            "source": "soundfont",
            "soundfont_sha256": str(build["soundfont_sha256"]),
            "build_version": str(build.get("build_version")),
        }
    except (OSError, ValueError, KeyError, TypeError):
        pass
    where = "(the embedded set)" if root.resolve() == embedded_root().resolve() else str(root)
    return ident | {"root": where}


def same_data(recorded: dict[str, str], current: dict[str, str]) -> bool:
    """Whether two :func:`identity` records describe the same data (wherever it lies)."""
    keys = ("source", "examples_sha256", "soundfont_sha256", "build_version")
    return all(recorded.get(k) == current.get(k) for k in keys)


def describe(ident: dict[str, str]) -> str:
    """An identity in words, for error messages."""
    what = (
        f"a SoundFont rendering (font {ident['soundfont_sha256'][:12]})"
        if ident.get("source") == "soundfont"
        else "an NSynth folder"
    )
    return f"{what} at {ident.get('root')} (examples.json {ident['examples_sha256'][:12]})"


# --------------------------------------------------------------------------- metadata


def read_examples(root: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read and check ``root/examples.json``.

    Returns:
        ``{note_str: metadata}`` as stored.

    Raises:
        NSynthError: the file is missing, not JSON, not an object of note objects, or an
            entry lacks one of :data:`REQUIRED_KEYS` or names itself differently from its key.
    """
    path = Path(root) / "examples.json"
    if not path.is_file():
        raise NSynthError(f"{path}: missing; an NSynth folder holds examples.json and audio/")
    try:
        examples = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise NSynthError(f"{path}: malformed JSON ({err})") from err
    if not isinstance(examples, dict) or not examples:
        raise NSynthError(f"{path}: expected a non-empty JSON object of notes keyed by note_str")
    for name, meta in examples.items():
        if not isinstance(meta, dict):
            raise NSynthError(f"{path}: entry {name!r} is not an object")
        missing = [k for k in REQUIRED_KEYS if k not in meta]
        if missing:
            raise NSynthError(f"{path}: note {name!r} lacks {', '.join(missing)}")
        if meta["note_str"] != name:
            raise NSynthError(f"{path}: key {name!r} holds note_str {meta['note_str']!r}")
        for key, kind in KEY_TYPES.items():
            value = meta[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise NSynthError(
                    f"{path}: note {name!r} has {key} {value!r}; expected "
                    + ("a whole number" if kind is int else "a string" if kind is str else "a list")
                )
    return examples


def _as_set(value: Any) -> set | None:
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return {value}
    return set(value)


def select(
    examples: dict[str, dict[str, Any]],
    *,
    subset: str | Iterable[str] | None = None,
    family: str | int | Iterable | None = None,
    source: str | int | Iterable | None = None,
    pitch: int | Iterable[int] | None = None,
    velocity: int | Iterable[int] | None = None,
    instrument: str | int | Iterable | None = None,
    items: int | None = None,
    where: str = "examples.json",
) -> list[str]:
    """Pick note names from ``examples`` by subset and metadata.

    Filters take one value or a collection (a ``range`` works for pitch); families, sources and
    instruments match by name (``"guitar"``) or id. Matches are sorted by ``note_str``; ``items``
    then takes that many spread evenly over the sorted list, so a small selection still covers
    every family and pitch region of the set.

    Args:
        examples: ``{note_str: metadata}`` from :func:`read_examples`.
        subset: a paper set name (see :data:`SETS`) or an iterable of note names.
        family, source, pitch, velocity, instrument: metadata filters.
        items: how many notes to return (default: all matches).
        where: how to name the data in error messages.

    Returns:
        The chosen note names.

    Raises:
        NSynthError: a subset note is absent from ``examples``, nothing matches, or ``items``
            exceeds the number of matches.
    """
    names: Iterable[str]
    if subset is None:
        names = examples
    else:
        names = list(paper_subset(subset)) if isinstance(subset, str) else list(subset)
        absent = [n for n in names if n not in examples]
        if absent:
            label = f"set {subset!r}" if isinstance(subset, str) else "the requested note list"
            raise NSynthError(
                f"{where}: lacks {len(absent)} of the {len(names)} notes of {label}, "
                f"e.g. {', '.join(absent[:3])}"
            )
    wanted = {
        ("instrument_family_str", "instrument_family"): _as_set(family),
        ("instrument_source_str", "instrument_source"): _as_set(source),
        ("pitch", "pitch"): _as_set(pitch),
        ("velocity", "velocity"): _as_set(velocity),
        ("instrument_str", "instrument"): _as_set(instrument),
    }
    chosen = sorted(
        n
        for n in names
        if all(
            ok is None or examples[n][by_name] in ok or examples[n][by_id] in ok
            for (by_name, by_id), ok in wanted.items()
        )
    )
    if not chosen:
        raise NSynthError(f"{where}: no note matches the selection")
    if items is not None:
        if items < 1:
            raise NSynthError(f"items must be at least 1, got {items}")
        if items > len(chosen):
            raise NSynthError(f"{where}: asked for {items} notes, only {len(chosen)} match")
        picks = np.round(np.linspace(0, len(chosen) - 1, items)).astype(int)
        chosen = [chosen[i] for i in picks]
    return chosen


def counts(notes: Iterable[dict[str, Any]]) -> dict[str, dict[Any, int]]:
    """Count notes by family, source, pitch, velocity and instrument.

    Args:
        notes: metadata dicts (NSynth's schema).

    Returns:
        ``{"family": {...}, "source": {...}, "pitch": {...}, "velocity": {...},
        "instrument": {...}}``, each mapping a value to its number of notes, sorted by value.
    """
    keys = {
        "family": "instrument_family_str", "source": "instrument_source_str", "pitch": "pitch",
        "velocity": "velocity", "instrument": "instrument_str",
    }  # fmt: skip
    out: dict[str, dict[Any, int]] = {k: {} for k in keys}
    for meta in notes:
        for k, field_ in keys.items():
            out[k][meta[field_]] = out[k].get(meta[field_], 0) + 1
    return {k: dict(sorted(v.items())) for k, v in out.items()}


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class Clips:
    """Decoded notes.

    Attributes:
        audio: ``[notes, samples]`` float32 in [-1, 1).
        notes: one metadata dict per row of ``audio`` (NSynth's schema).
        sample_rate: samples per second.
        root: the folder they came from.
    """

    audio: np.ndarray
    notes: tuple[dict[str, Any], ...]
    sample_rate: int
    root: Path = field(compare=False)

    @property
    def names(self) -> list[str]:
        """The ``note_str`` of every row."""
        return [n["note_str"] for n in self.notes]

    def __len__(self) -> int:
        return len(self.notes)


def load(
    root: str | os.PathLike | None = None,
    *,
    subset: str | Sequence[str] | None = None,
    family: str | int | Iterable | None = None,
    source: str | int | Iterable | None = None,
    pitch: int | Iterable[int] | None = None,
    velocity: int | Iterable[int] | None = None,
    instrument: str | int | Iterable | None = None,
    items: int | None = None,
    seconds: float = 1.0,
    cache: bool = True,
) -> Clips:
    """Load the first ``seconds`` of the selected notes of an NSynth-layout folder.

    Args:
        root: the folder; ``None`` means ``$CINR_NSYNTH`` or the embedded set.
        subset, family, source, pitch, velocity, instrument, items: see :func:`select`.
        seconds: how much of each 4-second note to keep (1.0 → 16000 samples).
        cache: reuse (and write) a decoded copy under ``home()/cache``.

    Returns:
        The clips, ``audio`` shaped ``[notes, round(seconds * 16000)]``.

    Raises:
        NSynthError: bad folder, metadata or selection.
        AudioFileError: a selected note's wav is missing or malformed (the message names it).
    """
    ok = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    if not (
        ok
        and math.isfinite(seconds)
        and 0 < round(seconds * NSYNTH_RATE) <= NOTE_SECONDS * NSYNTH_RATE
    ):
        raise NSynthError(
            f"seconds must be in (0, {NOTE_SECONDS:g}] (at least one sample), got {seconds}"
        )
    root = resolve_root(root).resolve()
    frames = int(round(seconds * NSYNTH_RATE))
    query = {
        "version": _CACHE_VERSION, "root": str(root), "frames": frames, "items": items,
        "subset": subset if subset is None or isinstance(subset, str) else list(subset),
        "filters": [_jsonable(v) for v in (family, source, pitch, velocity, instrument)],
    }  # fmt: skip
    key = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:24]
    if cache:
        hit = _cache_read(key, root)
        if hit is not None:
            return hit
    examples = read_examples(root)
    names = select(
        examples, subset=subset, family=family, source=source, pitch=pitch, velocity=velocity,
        instrument=instrument, items=items, where=str(root / "examples.json"),
    )  # fmt: skip
    audio = np.empty((len(names), frames), np.float32)
    for row, name in enumerate(names):
        rate = examples[name]["sample_rate"]
        if rate != NSYNTH_RATE:
            raise NSynthError(f"{root / 'examples.json'}: note {name!r} says {rate} Hz")
        audio[row] = read_pcm16(root / "audio" / f"{name}.wav", frames)
    clips = Clips(audio, tuple(examples[n] for n in names), NSYNTH_RATE, root)
    if cache:
        _cache_write(key, clips)
    return clips


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    return sorted(value, key=str)


# --------------------------------------------------------------------------- cache


def _fingerprint(root: Path, names: Iterable[str]) -> list[list]:
    """Size and modification time of examples.json and each note's wav."""
    paths = [root / "examples.json"] + [root / "audio" / f"{n}.wav" for n in names]
    out = []
    for p in paths:
        st = p.stat()
        out.append([st.st_size, st.st_mtime_ns])
    return out


def _cache_read(key: str, root: Path) -> Clips | None:
    folder = home() / "cache"
    try:
        meta = json.loads((folder / f"{key}.json").read_text())
        notes = meta["notes"]
        names = [n["note_str"] for n in notes]
        if meta["fingerprint"] != _fingerprint(root, names):
            return None
        audio = np.load(folder / f"{key}.npy", allow_pickle=False)
        if audio.shape != (len(notes), meta["frames"]) or audio.dtype != np.float32:
            return None
        if hashlib.blake2b(audio.tobytes(), digest_size=16).hexdigest() != meta["digest"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, stale or corrupt: decode again
    return Clips(audio, tuple(notes), NSYNTH_RATE, root)


_CACHE_WARNED = False


def _cache_write(key: str, clips: Clips) -> None:
    """Write the decoded copy; where the cache folder is not writable, warn once and go on
    (every load then decodes the wavs again)."""
    global _CACHE_WARNED
    folder = home() / "cache"
    try:
        _cache_files(folder, key, clips)
    except OSError as err:
        if not _CACHE_WARNED:
            _CACHE_WARNED = True
            warnings.warn(
                f"{err.filename or folder}: cannot write the decoded-data cache "
                f"({err.strerror}); reading the wavs directly each time (set CINR_HOME to a "
                "writable folder to cache them)",
                stacklevel=3,
            )


def _cache_files(folder: Path, key: str, clips: Clips) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(folder / f"{key}.npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, clips.audio, allow_pickle=False)
    meta = {
        "frames": clips.audio.shape[1],
        "digest": hashlib.blake2b(clips.audio.tobytes(), digest_size=16).hexdigest(),
        "fingerprint": _fingerprint(clips.root, clips.names),
        "notes": list(clips.notes),
    }
    atomic.write_text(folder / f"{key}.json", json.dumps(meta))


__all__ = [
    "FAMILIES", "SOURCES", "QUALITIES", "VELOCITIES", "SETS", "REQUIRED_KEYS",
    "AudioFileError", "Clips", "NSynthError",
    "counts", "home", "load", "paper_subset", "read_examples", "resolve_root", "select",
]  # fmt: skip
