"""The ``cinr-lab`` command line (also ``python -m cinr_lab``).

``cinr-lab data build``   render the embedded NSynth stand-in
``cinr-lab data info``    counts by family, source, pitch, velocity and instrument
``cinr-lab data export``  write selected clips as ``<note_str>.wav``
``cinr-lab train``        train a PCINR or TCNN auto-decoder into a run folder
``cinr-lab render``       write a run's reconstructions as ``<note_str>.wav``
``cinr-lab metrics``      the paper's metrics between two folders of same-named wavs
``cinr-lab table``        the paper's Table 1: train, evaluate, write results/table1.{md,csv}
``cinr-lab beyond``       fixes for the hiss side by side: write results/beyond.{md,csv}
``cinr-lab runs``         train (or load) the runs the analysis notebooks share
``cinr-lab export-model`` a finished run's weights and latents as a shipped model folder
``cinr-lab encode``       fit a latent to a sound of your own with a trained decoder frozen
``cinr-lab recipes``      race training recipes on the wall clock (sweep, race, stability, fit)
``cinr-lab bench``        speed figures for this machine

Errors in the input (a missing folder, a malformed file, an impossible selection) end the command
with exit status 2 and one line naming the file or argument and what is wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile

from cinr_lab import checks, metrics, models, nsynth, soundfont
from cinr_lab.atomic import atomic_path
from cinr_lab.audio import NSYNTH_RATE, AudioFileError, write_wav


def _data_build(args: argparse.Namespace) -> int:
    default = args.soundfont is None and args.gain_db == soundfont.DEFAULT_GAIN_DB
    out = args.out or soundfont.embedded_root()
    if default and not args.force and soundfont.is_current(out):
        print(f"{out} is up to date ({len(nsynth.read_examples(out))} notes); --force rebuilds")
        return 0
    out = soundfont.build(
        args.out, soundfont=args.soundfont, gain_db=args.gain_db, force=args.force
    )
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


def _wav_folder(out: Path, names: list[str], overwrite: bool) -> Path:
    """Create ``out`` for ``<name>.wav`` files; refuse to replace existing ones unless told to."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clash = [n for n in names if (out / f"{n}.wav").exists()]
    if clash and not overwrite:
        raise nsynth.NSynthError(
            f"{out / (clash[0] + '.wav')}: exists ({len(clash)} files would be overwritten); "
            "pass --overwrite or choose another --out"
        )
    return out


def _data_export(args: argparse.Namespace) -> int:
    clips = nsynth.load(args.root, subset=args.set, items=args.items, seconds=args.seconds)
    out = _wav_folder(args.out, clips.names, args.overwrite)
    subtype = {"pcm16": "PCM_16", "float32": "FLOAT"}[args.format]
    for name, wave in zip(clips.names, clips.audio, strict=True):
        write_wav(out / f"{name}.wav", wave, clips.sample_rate, subtype=subtype)
    print(f"wrote {len(clips)} clips of {args.seconds} s to {out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from cinr_lab import experiments, recipes, runfolder, train

    if args.resume:
        trainer = train.Trainer.resume(args.out, steps=args.steps, model=args.model)
    else:
        if args.model is None:
            raise runfolder.RunError("--model is required for a new run")
        overrides = {
            k: v
            for k, v in (("omega_first", args.omega_first), ("omega_hidden", args.omega_hidden))
            if v is not None
        }
        fields = [f.name for f in dataclasses.fields(recipes.TrainConfig) if f.name != "model"]
        given = {f: getattr(args, f) for f in fields if getattr(args, f) is not None}
        if "data" in given:
            given["data"] = str(given["data"])
            if "set" not in given:  # a folder of your own: all of its notes unless --items
                given.update(set=None, items=given.get("items"))
        scale = experiments.SCALES[args.preset]
        config = scale.apply(recipes.recipe(args.recipe, model=args.model))
        config = dataclasses.replace(config, **given)
        trainer = train.Trainer.create(args.out, config, models.config_for(args.model, **overrides))
    if args.compile:
        reason = trainer.compile()
        print("torch.compile: on" if reason is None else f"torch.compile: off ({reason})")
    path = trainer.fit()
    print(f"run {path}: step {trainer.step}, loss curve in loss.csv, audio in audio/")
    return 0


def _render(args: argparse.Namespace) -> int:
    from cinr_lab import rendering

    run = rendering.load_run(args.run)
    items = None
    if args.items:
        try:
            items = [int(i) for i in args.items.split(",")]
        except ValueError:
            raise checks.ConfigError(
                "items", f"must be comma-separated note indices, got {args.items!r}"
            ) from None
    waves = run.render(items, args.rate)
    names = [run.notes[i] for i in (items if items is not None else range(len(run.notes)))]
    out = _wav_folder(args.out, names, args.overwrite)
    for name, wave in zip(names, waves, strict=True):
        write_wav(out / f"{name}.wav", wave.numpy(), args.rate, subtype="FLOAT")
    print(f"wrote {len(names)} reconstructions at {args.rate} Hz to {out}")
    return 0


def _encode(args: argparse.Namespace) -> int:
    import torch

    from cinr_lab import audio, pretrained, rendering, runfolder, train

    checks.integer("steps", args.steps, minimum=1)
    checks.number("lr", args.lr, strict=True)
    run = pretrained.resolve(args.model)
    config = run.model_config
    wave = audio.read_any(args.wav, NSYNTH_RATE, config.samples)
    stem = Path(args.wav).stem
    out = Path(args.out)
    files = {"input": out / f"{stem}-input.wav", "reconstruction": out / f"{stem}.wav",
             "latent": out / f"{stem}-latent.pt"}  # fmt: skip
    clash = [f for f in files.values() if f.exists()]
    if clash and not args.overwrite:
        raise runfolder.RunError(f"{clash[0]}: exists; pass --overwrite or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    coords = args.coords if args.coords is not None else run.train_config.coords
    checks.integer("coords", coords, minimum=1)
    z = train.encode(run.model, torch.from_numpy(wave), args.steps, args.lr, args.seed, coords)
    estimate = rendering.render(run.model, z[None])[0].numpy()
    write_wav(files["input"], wave)
    write_wav(files["reconstruction"], estimate, subtype="FLOAT")
    record = {"latent": z, "model": str(args.model), "source": str(args.wav), "steps": args.steps,
              "lr": args.lr, "seed": args.seed}  # fmt: skip
    with atomic_path(files["latent"]) as tmp:
        torch.save(record, tmp)
    snr = float(metrics.snr(wave[None], estimate[None])[0])
    nearest = int(torch.cdist(z[None], run.latents.float()).argmin())
    print(f"{args.wav}: {config.samples} samples at {NSYNTH_RATE} Hz fitted in {args.steps} steps "
          f"with {args.model} frozen: SNR {snr:.1f} dB (silence scores 0 dB); nearest training "
          f"latent: {run.notes[nearest]}")  # fmt: skip
    print(f"wrote {files['input']}, {files['reconstruction']}, {files['latent']}")
    return 0


def _read_any_wav(path: Path) -> tuple[np.ndarray, int]:
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise metrics.MetricError(f"{path}: not a readable wav ({err})") from err
    if data.shape[1] != 1:
        raise metrics.MetricError(f"{path}: has {data.shape[1]} channels, expected mono")
    if not np.isfinite(data).all():
        raise metrics.MetricError(f"{path}: holds NaN or infinite samples")
    return data[:, 0], rate


def _metrics(args: argparse.Namespace) -> int:
    ref_dir, est_dir = Path(args.ref), Path(args.est)
    for folder in (ref_dir, est_dir):
        if not folder.is_dir():
            raise metrics.MetricError(f"{folder}: folder not found")
    names = sorted(p.stem for p in ref_dir.glob("*.wav"))
    if not names:
        raise metrics.MetricError(f"{ref_dir}: holds no .wav files")
    for name in names:
        if not (est_dir / f"{name}.wav").is_file():
            raise metrics.MetricError(
                f"{est_dir / (name + '.wav')}: missing (the reference has it)"
            )
    with_cdpam = {"auto": None, "on": True, "off": False}[args.cdpam]
    per_note = {}
    for name in names:
        ref, ref_rate = _read_any_wav(ref_dir / f"{name}.wav")
        est, est_rate = _read_any_wav(est_dir / f"{name}.wav")
        if ref_rate != est_rate:
            raise metrics.MetricError(
                f"{est_dir / (name + '.wav')}: {est_rate} Hz, reference {ref_rate} Hz"
            )
        if len(ref) != len(est):
            raise metrics.MetricError(
                f"{est_dir / (name + '.wav')}: {len(est)} samples, reference {len(ref)}"
            )
        try:
            values = metrics.evaluate(ref, est, with_cdpam, rate=ref_rate, progress=False)
        except metrics.MetricError as err:
            raise metrics.MetricError(f"{est_dir / (name + '.wav')}: {err}") from None
        per_note[name] = {k: float(v[0]) for k, v in values.items()}
    keys = list(per_note[names[0]])
    mean = {k: float(np.mean([per_note[n][k] for n in names])) for k in keys}
    if args.json:
        print(json.dumps({"notes": per_note, "mean": mean}, indent=1))
        return 0
    print("note".ljust(40) + "".join(k.rjust(12) for k in keys))
    for name in names:
        print(name.ljust(40) + "".join(f"{per_note[name][k]:12.4g}" for k in keys))
    print(f"mean of {len(names)}".ljust(40) + "".join(f"{mean[k]:12.4g}" for k in keys))
    if "cdpam" not in keys:
        print(
            "(CDPAM left out: "
            + ("--cdpam off" if with_cdpam is False else "pip install '.[cdpam]'")
            + ")"
        )
    return 0


def _table(args: argparse.Namespace) -> int:
    from cinr_lab import table
    from cinr_lab.ops import builds

    sets = tuple(s for s in args.sets.split(",") if s)
    if args.report:
        out = table.report(args.scale, sets, args.out)
    else:
        rows = tuple(r for r in args.rows.split(",") if r) if args.rows else None
        out = builds.table(
            args.scale, sets, args.seeds, args.out, args.runs, args.data, args.jobs, rows
        )
    print((out / "table1.md").read_text())
    print(f"wrote {out / 'table1.md'} and {out / 'table1.csv'}")
    return 0


def _beyond(args: argparse.Namespace) -> int:
    from cinr_lab.ops import builds

    sets = tuple(s for s in args.sets.split(",") if s)
    if args.report:
        out = builds.beyond_report(args.scale, sets, args.out)
    else:
        rows = tuple(r for r in args.rows.split(",") if r) if args.rows else None
        out = builds.beyond(
            args.scale, sets, args.seeds, args.out, args.runs, args.data, jobs=args.jobs, rows=rows
        )
    print((out / "beyond.md").read_text())
    print(f"wrote {out / 'beyond.md'} and {out / 'beyond.csv'}")
    return 0


def _export_model(args: argparse.Namespace) -> int:
    from cinr_lab import pretrained, runfolder
    from cinr_lab.ops import ship, synth

    if args.torchscript:
        run = pretrained.resolve(args.run)
        try:
            out = synth.export_torchscript(run, args.out, overwrite=args.overwrite)
        except (ValueError, FileExistsError) as err:
            raise runfolder.RunError(f"{args.run}: {err}") from None
        size = out.stat().st_size / 1e6
        print(f"wrote {out} ({size:.1f} MB TorchScript synth, {len(run.notes)} notes; "
              "load it with torch.jit.load)")  # fmt: skip
        return 0
    out = ship.export(args.run, args.out, overwrite=args.overwrite, float16=args.float16)
    size = (out / "checkpoint.pt").stat().st_size / 1e6
    kind = "float16 matrices, " if args.float16 else ""
    print(f"wrote {out} ({size:.1f} MB checkpoint, {kind}weights and latents only)")
    return 0


def _runs(args: argparse.Namespace) -> int:
    from cinr_lab import experiments, rendering
    from cinr_lab.ops import jobs, ship

    wanted = list(experiments.study_runs(args.runs, args.scale, args.seeds))
    if args.only:
        wanted = [(path, fit) for path, fit in wanted if any(o in str(path) for o in args.only)]
        if not wanted:
            raise checks.ConfigError("only", f"no run folder path contains {args.only}")
    overall = jobs.Overall("runs", len(wanted))
    differ = []
    for path, fit in wanted:
        overall.start(str(path))
        if not args.retrain and ship.restore(path, args.runs, args.data):
            print(f"{path}: copied from {ship.study_copy(path, args.runs)}", flush=True)
        trained = not (path / "config.json").exists()
        run = fit(args.data, True)
        print(f"{run.path}: step {run.step}", flush=True)
        shipped = ship.study_copy(path, args.runs)
        if args.retrain and trained and (shipped / "config.json").exists():
            same, mine, theirs = ship.reproduces(run, rendering.load_run(shipped, device="cpu"))
            verdict = "reproduced" if same else f"NOT reproduced ({ship.REPRODUCE_DB} dB)"
            print(f"{run.path}: mean per-note SNR {mine:.2f} dB, shipped copy {theirs:.2f} dB: "
                  f"{verdict}", flush=True)  # fmt: skip
            if not same:
                differ.append(str(run.path))
        elif args.retrain and not trained:
            print(f"{path}: already there, kept (move it away to retrain it)", flush=True)
        if args.ship:
            out = ship.export(run.path, shipped, True, float16=True)
            print(f"{run.path}: exported to {out}", flush=True)
        overall.done()
    overall.close()
    if differ:
        print(f"{len(differ)} retrained run(s) did not reproduce their shipped copy: "
              + ", ".join(differ), file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _recipes(args: argparse.Namespace) -> int:
    from cinr_lab.ops import race

    if args.recipes_command == "fit":
        report = race.fit_sweep(
            args.model, args.set, args.out, args.seconds, args.items, args.runs,
            str(args.data) if args.data else None,
        )  # fmt: skip
        print(report.read_text())
        return 0
    if args.recipes_command == "stability":
        report = race.stability(
            args.out, steps=args.steps, every=args.every, recipe_name=args.recipe,
            runs=args.runs, items=args.items, set_name=args.set,
            data=str(args.data) if args.data else None,
        )  # fmt: skip
        print(report.read_text())
        return 0
    entries, seconds = (
        (race.SWEEP, 240.0) if args.recipes_command == "sweep" else (race.RACE, 1200.0)
    )
    seconds = seconds if args.seconds is None else args.seconds
    report = race.race(
        entries, seconds, args.out, f"recipe_{args.recipes_command}", runs=args.runs,
        items=args.items, set_name=args.set,
        every=seconds / 10 if args.every is None else args.every,
        data=str(args.data) if args.data else None,
    )  # fmt: skip
    print(report.read_text())
    return 0


def _bench(args: argparse.Namespace) -> int:
    from cinr_lab.ops import bench

    only = tuple(p for p in args.only.split(",") if p) if args.only else bench.DEFAULT_PARTS
    unknown = [p for p in only if p not in bench.PARTS]
    if unknown:
        raise checks.ConfigError(
            "only", f"unknown part {unknown[0]!r}; choose from {', '.join(bench.PARTS)}"
        )
    if args.paper and "paper" not in only:
        only = (*only, "paper")
    if "paper" in only:
        import importlib.util

        if importlib.util.find_spec("INR_collection") is None:
            raise checks.ConfigError(
                "--paper", "needs the paper's code: pip install inr-collection==0.3 (a dev extra)"
            )
    print(json.dumps(bench.run(args.root, only), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and documentation: one small parser per command."""
    parser = argparse.ArgumentParser(prog="cinr-lab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_parser_data, _parser_train, _parser_render, _parser_metrics,
                _parser_table_beyond, _parser_export_model, _parser_encode, _parser_runs,
                _parser_recipes, _parser_bench):  # fmt: skip
        add(commands)
    return parser


ROOT_HELP = "an NSynth-layout folder (default: $CINR_NSYNTH, else the embedded set)"


def _parser_data(commands) -> None:
    """``cinr-lab data``."""
    data = commands.add_parser("data", help="build, describe and export NSynth-layout data")
    data_commands = data.add_subparsers(dest="data_command", required=True)

    build = data_commands.add_parser("build", help="render the embedded NSynth stand-in")
    build.add_argument("--soundfont", type=Path, help="a General MIDI .sf2 (default: TimGM6mb)")
    build.add_argument("--out", type=Path, help="destination folder (default: the embedded root)")
    build.add_argument(
        "--gain-db", type=float, default=soundfont.DEFAULT_GAIN_DB, help="renderer gain in dB"
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if up to date; replace --out even if it is not an earlier build",
    )
    build.set_defaults(func=_data_build)

    info = data_commands.add_parser("info", help="counts by family, source, pitch, velocity")
    info.add_argument("root", nargs="?", type=Path, help=ROOT_HELP)
    info.add_argument("--set", choices=nsynth.SETS, help="only this paper set")
    info.set_defaults(func=_data_info)

    export = data_commands.add_parser("export", help="write selected clips as <note_str>.wav")
    export.add_argument("root", nargs="?", type=Path, help=ROOT_HELP)
    export.add_argument(
        "--set", choices=nsynth.SETS, help="only this paper set (default: every note of the folder)"
    )
    export.add_argument("--items", type=int, help="how many notes, spread over the selection")
    export.add_argument("--seconds", type=float, default=1.0, help="clip length (default 1.0)")
    export.add_argument("--format", choices=("pcm16", "float32"), default="pcm16")
    export.add_argument("--overwrite", action="store_true", help="replace existing wavs")
    export.add_argument("--out", type=Path, required=True, help="destination folder")
    export.set_defaults(func=_data_export)


def _parser_train(commands) -> None:
    """``cinr-lab train``: the preset and recipe, then one option per
    :class:`~cinr_lab.recipes.TrainConfig` field (its help from the field's documentation)."""
    from cinr_lab import experiments, recipes

    tr = commands.add_parser("train", help="train a PCINR or TCNN auto-decoder")
    tr.add_argument(
        "--model", choices=list(models.PRESETS), help="architecture (required unless --resume)"
    )
    tr.add_argument(
        "--preset",
        choices=list(experiments.SCALES),
        default=experiments.DEFAULT_SCALE,
        help="the scale that sets --items, --steps, --batch and --coords unless given: smoke "
        "(seconds), study (the committed CPU study, minutes), fit (fitted models, hours), paper "
        f"(the paper's, a GPU); default {experiments.DEFAULT_SCALE}",
    )
    tr.add_argument(
        "--recipe",
        choices=list(recipes.RECIPES),
        default=recipes.DEFAULT_RECIPE,
        help="training recipe: optimiser, schedule, latent update, loss, batching; the options "
        f"below override its fields (default {recipes.DEFAULT_RECIPE})",
    )
    config_options(tr)
    tr.add_argument("--omega-first", type=float, help="ω of the first sine layer (default 1760)")
    tr.add_argument("--omega-hidden", type=float, help="ω of the other sine layers (default 245)")
    tr.add_argument(
        "--compile",
        action="store_true",
        help="compute each step through torch.compile: the same function, faster after a "
        "compilation of seconds (eager where it cannot build; not part of the run's identity)",
    )
    tr.add_argument("--resume", action="store_true", help="continue the run in --out")
    tr.add_argument("--out", type=Path, required=True, help="run folder")
    tr.set_defaults(func=_train)


def config_options(parser: argparse.ArgumentParser) -> None:
    """An option for every :class:`~cinr_lab.recipes.TrainConfig` field but ``model``:
    ``--latent-lr`` for ``latent_lr``; its type, choices and help from the field. Left out, an
    option is ``None``: the recipe's value at the preset."""
    from cinr_lab import recipes

    docs = recipes.fields_help()
    choices = {**recipes.CHOICES, "set": nsynth.SETS}
    for field in dataclasses.fields(recipes.TrainConfig):
        if field.name == "model":
            continue
        typ = field.type.split(" | ")[0]  # annotations are strings: "float | None", ...
        option = "--" + field.name.replace("_", "-")
        text = (
            docs[field.name].replace("%", "%%").replace("``", "")
            + " (left out: the recipe's at --preset)"
        )
        if typ == "bool":
            parser.add_argument(option, action=argparse.BooleanOptionalAction, help=text)
        elif typ.startswith("tuple"):
            parser.add_argument(option, type=int, nargs="+", help=text)
        else:
            typ = {"int": int, "float": float, "str": str}[typ]
            parser.add_argument(option, type=typ, choices=choices.get(field.name), help=text)


def _parser_render(commands) -> None:
    """``cinr-lab render``."""
    rd = commands.add_parser("render", help="write a run's reconstructions as <note_str>.wav")
    rd.add_argument("run", type=Path, help="run folder")
    rd.add_argument("--items", help="comma-separated note indices (default: all)")
    rd.add_argument(
        "--rate",
        type=int,
        default=16000,
        help="sample rate; above 16000 (PCINR only) "
        "renders the continuous representation more densely",
    )
    rd.add_argument("--overwrite", action="store_true", help="replace existing wavs")
    rd.add_argument("--out", type=Path, required=True, help="destination folder")
    rd.set_defaults(func=_render)


def _parser_metrics(commands) -> None:
    """``cinr-lab metrics``."""
    me = commands.add_parser("metrics", help="MSE, multi-STFT and CDPAM between two wav folders")
    me.add_argument("ref", type=Path, help="folder of reference <name>.wav files")
    me.add_argument("est", type=Path, help="folder of estimates with the same names")
    me.add_argument(
        "--cdpam",
        choices=("auto", "on", "off"),
        default="auto",
        help="CDPAM (about 1 s per clip on a CPU): auto = when cdpam is installed",
    )
    me.add_argument("--json", action="store_true", help="print JSON instead of a table")
    me.set_defaults(func=_metrics)


def _parser_table_beyond(commands) -> None:
    """``cinr-lab table`` and ``cinr-lab beyond``."""
    from cinr_lab import experiments

    for verb, text, func in (
        ("table", "the paper's Table 1 over seeds, with its numbers beside", _table),
        ("beyond", "fixes for the PCINR's hiss at equal size (issue 13's variants)", _beyond),
    ):
        sub = commands.add_parser(verb, help=text)
        sub.add_argument(
            "--scale", choices=list(experiments.SCALES), default=experiments.DEFAULT_SCALE
        )
        sub.add_argument("--sets", default="diverse,keyboard", help="comma-separated paper sets")
        sub.add_argument("--seeds", type=int, default=3)
        sub.add_argument("--data", type=str, help=ROOT_HELP)
        sub.add_argument(
            "--runs", type=Path, default=Path("runs"), help="run folders (default runs/)"
        )
        sub.add_argument("--out", type=Path, default=Path("results"), help="default results/")
        sub.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="runs trained side by side, the cores shared out among them (default 1)",
        )
        sub.add_argument(
            "--rows",
            help="comma-separated rows to train, in this order (default every row; e.g. "
            + ("'TCNN,PCINR,Silence,Noise' to finish Table 1's first comparison first)"
               if verb == "table" else "'FINER,Parallel (4 × depth 3)'); the tables report "
               "every row trained so far"),
        )  # fmt: skip
        sub.add_argument(
            "--report", action="store_true",
            help="write the tables from the records in --out so far; train nothing (a "
            "build still running elsewhere keeps adding records)"
            + ("" if verb == "table" else "; Table 1's new records of the shared rows are "
               "adopted first"),
        )  # fmt: skip
        sub.set_defaults(func=func)


def _parser_export_model(commands) -> None:
    """``cinr-lab export-model``."""
    em = commands.add_parser(
        "export-model", help="copy a finished run's weights and latents to a model folder"
    )
    em.add_argument(
        "run", help="a finished run folder (with --torchscript also a model folder or shipped name)"
    )
    em.add_argument(
        "--out", type=Path, required=True, help="destination model folder (--torchscript: file)"
    )
    em.add_argument(
        "--torchscript",
        action="store_true",
        help="write a self-contained TorchScript synth (PCINR family) that plain PyTorch loads",
    )
    em.add_argument("--overwrite", action="store_true", help="replace an existing model")
    em.add_argument(
        "--float16",
        action="store_true",
        help="store weight matrices and latents as float16 (half the size), after checking that "
        "the model still renders within 1e-3 of itself; biases and the first layer stay float32",
    )
    em.set_defaults(func=_export_model)


def _parser_encode(commands) -> None:
    """``cinr-lab encode``."""
    en = commands.add_parser(
        "encode", help="fit a latent to a sound of your own with a trained decoder frozen"
    )
    en.add_argument("wav", type=Path, help="any file soundfile reads (any rate, any channels)")
    en.add_argument(
        "--model", required=True, help="a shipped model's name (pcinr-keyboard, ...) or a folder"
    )
    en.add_argument("--out", type=Path, required=True, help="destination folder")
    en.add_argument("--steps", type=int, default=300, help="Adam steps on the latent (300)")
    en.add_argument("--lr", type=float, default=1e-2, help="the latent's learning rate (1e-2)")
    en.add_argument("--seed", type=int, default=0, help="seeds the latent's start")
    en.add_argument(
        "--coords",
        type=int,
        help="coordinates per step for an INR (default: as the model was trained)",
    )
    en.add_argument("--overwrite", action="store_true", help="replace earlier outputs")
    en.set_defaults(func=_encode)


def _parser_runs(commands) -> None:
    """``cinr-lab runs``."""
    from cinr_lab import experiments

    ru = commands.add_parser("runs", help="copy (or train) the runs notebooks 02, 04 and 05 share")
    ru.add_argument("--scale", choices=list(experiments.SCALES), default=experiments.DEFAULT_SCALE)
    ru.add_argument("--seeds", type=int, default=1, help="Table 1 seeds to train (default 1)")
    ru.add_argument("--data", type=str, help=ROOT_HELP)
    ru.add_argument("--runs", type=Path, default=Path("runs"), help="run folders (default runs/)")
    ru.add_argument(
        "--retrain",
        action="store_true",
        help="train missing runs even where weights/runs/ ships a copy (about an hour at study), "
        "and check each against that copy (mean per-note SNR within ship.REPRODUCE_DB)",
    )
    ru.add_argument(
        "--ship", action="store_true", help="export every run to weights/runs/ (maintainers)"
    )
    ru.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="only the runs whose folder path contains TEXT (repeatable), e.g. keyboard/TCNN",
    )
    ru.set_defaults(func=_runs)


def _parser_recipes(commands) -> None:
    """``cinr-lab recipes``."""
    from cinr_lab import recipes
    from cinr_lab.ops import race

    rc = commands.add_parser("recipes", help="race training recipes on the wall clock")
    rc_commands = rc.add_subparsers(dest="recipes_command", required=True)

    def recipe_run_options(sub: argparse.ArgumentParser, items: int = 64) -> None:
        """The notes, data and folders every ``recipes`` command shares."""
        sub.add_argument("--items", type=int, default=items, help=f"notes (default {items})")
        sub.add_argument("--set", choices=nsynth.SETS, default="keyboard")
        sub.add_argument("--data", type=Path, help=ROOT_HELP)
        sub.add_argument("--runs", type=Path, default=Path("runs/recipes"), help="run folders")
        sub.add_argument("--out", type=Path, default=Path("results"), help="results folder")
        sub.set_defaults(func=_recipes)

    for verb, text in (
        ("sweep", "the candidates recipe 'ours' was chosen from (default 240 s each)"),
        ("race", "recipe 'paper' against 'ours' (default 1200 s each)"),
    ):
        sub = rc_commands.add_parser(verb, help=text)
        sub.add_argument("--seconds", type=float, help="training seconds per entry")
        sub.add_argument("--every", type=float, help="seconds between evaluations")
        recipe_run_options(sub)
    sub = rc_commands.add_parser(
        "fit", help="the fit scale's learning rates: the paper's, 3x and 10x (150 s each)"
    )
    sub.add_argument("--model", choices=list(race.FIT_LRS), required=True)
    sub.add_argument("--seconds", type=float, default=150.0, help="training seconds per rate")
    recipe_run_options(sub, items=16)
    sub = rc_commands.add_parser(
        "stability", help="recipe 'ours' for 5,000 steps: does it stay off the silence plateau?"
    )
    sub.add_argument("--steps", type=int, default=5000, help="training steps (default 5000)")
    sub.add_argument(
        "--every", type=float, default=300.0, help="training seconds between measurements"
    )
    sub.add_argument("--recipe", choices=list(recipes.RECIPES), default="ours")
    recipe_run_options(sub)


def _parser_bench(commands) -> None:
    """``cinr-lab bench``."""
    bench = commands.add_parser("bench", help="speed figures for this machine")
    bench.add_argument("root", nargs="?", type=Path, help=ROOT_HELP)
    bench.add_argument(
        "--only",
        help="comma-separated parts: data, train, render, explorer, stream, fold, jobs, "
        "precision, compile, paper "
        "(default all but paper)",
    )
    bench.add_argument(
        "--paper", action="store_true",
        help="also time the paper's own network (inr-collection) side by side with ours",
    )  # fmt: skip
    bench.set_defaults(func=_bench)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    from cinr_lab.ops import jobs
    from cinr_lab.runfolder import RunError
    from cinr_lab.train import TrainingDiverged

    jobs.keep_freed_memory()  # a training step spent 37 % of its CPU time re-faulting pages

    try:
        return args.func(args)
    except checks.ConfigError as err:  # a config field is a command-line option
        print(f"cinr-lab: error: {err.option}: {err.message}", file=sys.stderr)
    except (
        nsynth.NSynthError, AudioFileError, RunError, TrainingDiverged,
        metrics.MetricError, metrics.CDPAMUnavailable, checks.RecordError,
    ) as err:  # fmt: skip
        print(f"cinr-lab: error: {err}", file=sys.stderr)
    except OSError as err:  # a read-only folder, a full disk, a file where a folder should be
        where = f"{err.filename}: " if err.filename else ""
        print(f"cinr-lab: error: {where}{err.strerror or err}", file=sys.stderr)
    return 2
