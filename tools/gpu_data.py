"""Carry both paper sets to a machine without a network: ``pack`` writes their 2022 notes' first
second as FLAC (half the bytes of PCM16 wavs) in NSynth's layout; ``unpack`` turns them back
into the PCM16 wavs ``cinr_lab.nsynth`` reads. Lossless: the samples are the same.

    python tools/gpu_data.py pack [ROOT] --out .gpu/nsynth     # here (ROOT: default data)
    python tools/gpu_data.py unpack .gpu/nsynth --out /tmp/nsynth   # there
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cinr_lab import nsynth  # noqa: E402


def pack(root: Path | None, out: Path) -> int:
    root = nsynth.resolve_root(root)
    examples = nsynth.read_examples(root)
    names = sorted({n for s in nsynth.SETS for n in nsynth.paper_subset(s)})
    (out / "audio").mkdir(parents=True, exist_ok=True)
    for name in names:
        wave, rate = soundfile.read(root / "audio" / f"{name}.wav", dtype="int16")
        soundfile.write(out / "audio" / f"{name}.flac", wave[:rate], rate, subtype="PCM_16")
    (out / "examples.json").write_text(json.dumps({n: examples[n] for n in names}))
    return len(names)


def unpack(src: Path, out: Path) -> int:
    (out / "audio").mkdir(parents=True, exist_ok=True)
    files = sorted((src / "audio").glob("*.flac"))
    for path in files:
        wave, rate = soundfile.read(path, dtype="int16")
        soundfile.write(out / "audio" / f"{path.stem}.wav", wave, rate, subtype="PCM_16")
    (out / "examples.json").write_text((src / "examples.json").read_text())
    return len(files)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("verb", choices=("pack", "unpack"))
    parser.add_argument("root", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    count = (pack if args.verb == "pack" else unpack)(args.root, args.out)
    print(f"{args.verb}ed {count} notes to {args.out}")
