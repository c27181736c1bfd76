"""Write the sounds shipped in cinr_lab/sounds/: notes from instruments outside both paper sets.

Rendered with the embedded set's SoundFont (TimGM6mb.sf2, which pretty_midi ships) and the same
renderer as the embedded set (cinr_lab.soundfont.render_note: 4 s, note-off at 3 s, 16 kHz), from
GM programs no NSynth family of the stand-in uses (cinr_lab.soundfont.PROGRAMS), so no shipped
model has heard these instruments. Notebook 08 and `cinr-lab encode` examples use them.

Usage: .venv/bin/python tools/make_sounds.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from cinr_lab import soundfont
from cinr_lab.audio import write_wav

ROOT = Path(__file__).resolve().parents[1]
SOUNDS = {"steel_drums-060-100": (114, 60, 100)}  # name: (GM program, 0-based; pitch; velocity)


def main() -> int:
    used = {p for pool in soundfont.PROGRAMS.values() for p in pool}
    out = ROOT / "cinr_lab" / "sounds"
    out.mkdir(exist_ok=True)
    for name, (program, pitch, velocity) in SOUNDS.items():
        assert program not in used, f"GM program {program} stands in for an NSynth family"
        wave = soundfont.render_note(soundfont.default_soundfont(), program, pitch, velocity)
        write_wav(out / f"{name}.wav", wave)
        print(f"wrote {out / name}.wav (GM program {program}, MIDI {pitch}, velocity {velocity})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
