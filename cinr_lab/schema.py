"""NSynth's schema and the paper's note lists: what the reader and the renderer share.

:mod:`cinr_lab.nsynth` reads NSynth-layout folders and :mod:`cinr_lab.soundfont` writes them; both
import their constants from here, so neither imports the other at module level (the reader
imports the renderer only to build the embedded set, and says so when it does).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

FAMILIES = (
    "bass", "brass", "flute", "guitar", "keyboard", "mallet",
    "organ", "reed", "string", "synth_lead", "vocal",
)  # fmt: skip
"""NSynth's instrument families; the position is the ``instrument_family`` id."""

SOURCES = ("acoustic", "electronic", "synthetic")
"""NSynth's instrument sources; the position is the ``instrument_source`` id."""

QUALITIES = (
    "bright", "dark", "distortion", "fast_decay", "long_release",
    "multiphonic", "nonlinear_env", "percussive", "reverb", "tempo-synced",
)  # fmt: skip
"""NSynth's note qualities, in the order of the ``qualities`` bit vector."""

VELOCITIES = (25, 50, 75, 100, 127)
"""The five MIDI velocities NSynth rendered every note at."""

NOTE_SECONDS = 4.0
"""Length of every NSynth note: held for 3 s, then released."""

SETS = ("diverse", "keyboard")
"""The paper's two 1024-note subsets, shipped in ``cinr_lab/subsets/``."""

REQUIRED_KEYS = (
    "note_str", "pitch", "velocity", "instrument", "instrument_str",
    "instrument_family", "instrument_family_str", "instrument_source",
    "instrument_source_str", "sample_rate", "qualities", "qualities_str",
)  # fmt: skip
"""Keys every ``examples.json`` entry must have (NSynth's schema)."""


class NSynthError(ValueError):
    """An NSynth-layout folder, its ``examples.json`` or a note request is unusable."""


def home() -> Path:
    """The folder for generated data and caches: ``$CINR_HOME``, else ``~/.cache/cinr_lab``."""
    if "CINR_HOME" in os.environ:
        path = Path(os.environ["CINR_HOME"]).expanduser()
        if path.exists() and not path.is_dir():
            raise NSynthError(f"{path} (from $CINR_HOME): not a folder; point CINR_HOME at one")
        return path
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg).expanduser() / "cinr_lab"


def embedded_root() -> Path:
    """Where the embedded set lives: ``home() / "nsynth-embedded"``."""
    return home() / "nsynth-embedded"


def paper_subset(name: str) -> dict[str, dict[str, Any]]:
    """The paper's note list ``name`` (``"diverse"`` or ``"keyboard"``) with NSynth metadata.

    Returns:
        ``{note_str: metadata}`` for the 1024 notes, in the list's order.
    """
    if name not in SETS:
        raise NSynthError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")
    text = resources.files("cinr_lab.subsets").joinpath(f"{name}_1024.json").read_text()
    return json.loads(text)
