"""The ``cinr-lab`` command line (also ``python -m cinr_lab``).

``cinr-lab data build``   render the embedded NSynth stand-in
``cinr-lab data info``    counts by family, source, pitch, velocity and instrument
``cinr-lab data export``  write selected clips as ``<note_str>.wav``
``cinr-lab bench``        speed figures for this machine

Errors in the input (a missing folder, a malformed file, an impossible selection) end the command
with exit status 2 and one line naming the file or argument and what is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cinr_lab import nsynth, soundfont
from cinr_lab.audio import AudioFileError, write_wav


def _data_build(args: argparse.Namespace) -> int:
    default = args.soundfont is None and args.gain_db == soundfont.DEFAULT_GAIN_DB
    out = args.out or soundfont.embedded_root()
    if default and not args.force and soundfont.is_current(out):
        print(f"{out} is up to date ({len(nsynth.read_examples(out))} notes); --force rebuilds")
        return 0
    out = soundfont.build(args.out, soundfont=args.soundfont, gain_db=args.gain_db)
    print(f"wrote {len(nsynth.read_examples(out))} notes to {out}")
    return 0


def format_counts(title: str, notes: Sequence[dict]) -> str:
    """A plain-text block of :func:`cinr_lab.nsynth.counts` for one set of notes."""
    c = nsynth.counts(notes)
    pitches = list(c["pitch"])
    lines = [
        f"{title}: {len(notes)} notes, {len(c['instrument'])} instruments",
        "  families:   " + ", ".join(f"{k} {v}" for k, v in c["family"].items()),
        "  sources:    " + ", ".join(f"{k} {v}" for k, v in c["source"].items()),
        f"  pitches:    {pitches[0]}-{pitches[-1]} ({len(pitches)} distinct)",
        "  velocities: " + ", ".join(f"{k}: {v}" for k, v in c["velocity"].items()),
        "  notes per pitch:",
    ]
    items = [f"{k:>3}:{v:<4}" for k, v in c["pitch"].items()]
    lines += ["    " + " ".join(items[i : i + 10]).rstrip() for i in range(0, len(items), 10)]
    return "\n".join(lines)


def _data_info(args: argparse.Namespace) -> int:
    root = nsynth.resolve_root(args.root)
    examples = nsynth.read_examples(root)
    where = str(root / "examples.json")
    if args.set:
        sets = [args.set]
    elif args.root is None and not os.environ.get("CINR_NSYNTH"):
        sets = list(nsynth.SETS)  # the embedded set is the union of the two paper sets
    else:
        sets = [None]
    for i, name in enumerate(sets):
        names = nsynth.select(examples, subset=name, where=where)
        if i:
            print()
        print(format_counts(name or str(root), [examples[n] for n in names]))
    return 0


def _data_export(args: argparse.Namespace) -> int:
    clips = nsynth.load(args.root, subset=args.set, items=args.items, seconds=args.seconds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clash = [n for n in clips.names if (out / f"{n}.wav").exists()]
    if clash and not args.overwrite:
        raise nsynth.NSynthError(
            f"{out / (clash[0] + '.wav')}: exists ({len(clash)} clips would be overwritten); "
            "pass --overwrite or choose another --out"
        )
    subtype = {"pcm16": "PCM_16", "float32": "FLOAT"}[args.format]
    for name, wave in zip(clips.names, clips.audio, strict=True):
        write_wav(out / f"{name}.wav", wave, clips.sample_rate, subtype=subtype)
    print(f"wrote {len(clips)} clips of {args.seconds} s to {out}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from cinr_lab import bench

    print(bench.run(args.root))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and documentation."""
    parser = argparse.ArgumentParser(prog="cinr-lab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="build, describe and export NSynth-layout data")
    data_commands = data.add_subparsers(dest="data_command", required=True)

    build = data_commands.add_parser("build", help="render the embedded NSynth stand-in")
    build.add_argument("--soundfont", type=Path, help="a General MIDI .sf2 (default: TimGM6mb)")
    build.add_argument("--out", type=Path, help="destination folder (default: the embedded root)")
    build.add_argument(
        "--gain-db", type=float, default=soundfont.DEFAULT_GAIN_DB, help="renderer gain in dB"
    )
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.set_defaults(func=_data_build)

    root_help = "an NSynth-layout folder (default: $CINR_NSYNTH, else the embedded set)"
    info = data_commands.add_parser("info", help="counts by family, source, pitch, velocity")
    info.add_argument("root", nargs="?", type=Path, help=root_help)
    info.add_argument("--set", choices=nsynth.SETS, help="only this paper set")
    info.set_defaults(func=_data_info)

    export = data_commands.add_parser("export", help="write selected clips as <note_str>.wav")
    export.add_argument("root", nargs="?", type=Path, help=root_help)
    export.add_argument("--set", choices=nsynth.SETS, required=True, help="which paper set")
    export.add_argument("--items", type=int, help="how many notes, spread over the set")
    export.add_argument("--seconds", type=float, default=1.0, help="clip length (default 1.0)")
    export.add_argument("--format", choices=("pcm16", "float32"), default="pcm16")
    export.add_argument("--overwrite", action="store_true", help="replace existing wavs")
    export.add_argument("--out", type=Path, required=True, help="destination folder")
    export.set_defaults(func=_data_export)

    bench = commands.add_parser("bench", help="speed figures for this machine")
    bench.add_argument("root", nargs="?", type=Path, help=root_help)
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (nsynth.NSynthError, AudioFileError) as err:
        print(f"cinr-lab: error: {err}", file=sys.stderr)
        return 2
