"""A reduced paper-scale check on a GPU: Table 1's seed-0 runs on all 1024 notes of each set,
each trained for a fixed wall-clock budget, plus the GPU benchmarks.

What the study cannot do on 2 CPU cores: the paper's scale (1024 notes per set, batches of 16,
8000 coordinates per note, the paper's recipe; ``cinr-lab train --preset paper``). Each run here
is that run stopped after ``--budget`` seconds of training steps (the paper's recipe has no
schedule that depends on the total steps, so a run stopped at step k is the run of k steps; its
checkpoint can be resumed with ``cinr-lab train --resume --out RUN``). Every run is measured on
all 1024 notes (per-note SNR, MSE, multi-STFT, the median high-frequency excess above 4 kHz);
CDPAM needs its weights, which a machine without a network cannot fetch, so
``tools/gpu_results.py`` adds it from the returned checkpoints on the CPU.

Usage (on the GPU machine; ``--data`` an NSynth-layout folder holding both paper sets)::

    python tools/gpu_check.py --data ROOT --budget 80 --out OUT

``--beyond SET`` trains notebook 07's variants (``cinr_lab.beyond.VARIANTS``) on one set instead,
each for ``--budget`` seconds, for ``cinr-lab beyond --scale paper``'s question on a short lease
(records only: ten checkpoints are more files than a lease brings back).

Writes ``OUT/gpu_check.jsonl`` (one record per run, as it goes), ``OUT/gpu_bench.json`` and one
``OUT/<set>-<arch>.tar`` per run (its ``config.json``, ``loss.csv`` and ``checkpoint.pt``).
``--resume`` trains the runs left in ``--runs`` another ``--budget`` seconds (on a machine still
held: the runs live in its ``/tmp``) and writes ``OUT/gpu_check_resumed.jsonl`` and the tars;
``--resume`` skips the benchmarks.

Across leases (each machine starts bare): ``--carry DIR`` unpacks the tars a previous lease
brought back (committed in ``DIR``, e.g. ``results/paper_gpu/runs``) into ``--runs`` and resumes
those runs from their checkpoints, so every lease adds training instead of starting over; its
records say where each run resumed from and its total steps (it skips the benchmarks, which
the first lease measured). Copy ``OUT/*.tar`` back into
``DIR`` and commit them for the next lease::

    python tools/gpu_check.py --data ROOT --budget 120 --carry results/paper_gpu/runs --out OUT
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cinr_lab import analysis, beyond, experiments, metrics, rendering, train  # noqa: E402
from cinr_lab.ops import bench, race  # noqa: E402

RUNS = (("keyboard", "PCINR"), ("keyboard", "TCNN"), ("diverse", "PCINR"), ("diverse", "TCNN"))
"""In order of interest: the uniform set, where the paper sees the PCINR's hiss, first."""


def gpu_bench() -> dict:
    """Training step and 1-second render times of each Table 1 model on this device, reduced
    precision against float32 (``bench.precision``) and ``torch.compile`` (``bench.compiled``)."""
    out = {"machine": bench.machine(), "train": {}, "render": {}}
    cuda = torch.cuda.is_available()
    for name in ("pcinr", "pcinr-wide", "tcnn"):
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        out["train"][name] = bench.train_throughput(name, steps=20 if cuda else 1)
        if cuda:
            out["train"][name]["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        out["render"][name] = bench.render_one_second(name, repeats=20 if cuda else 1)
    for record in out["train"].values():
        record.pop("peak_rss_mb", None)  # the host process's, not the run's: not comparable
    for record in out["render"].values():
        record.pop("peak_rss_mb", None)
        record["rtf"] = record["render_1s_s"]  # 1 s of audio: seconds per second
    # Issue 15's GPU questions: does bf16 / fp16 / TF32 keep the shipped models' sound, and what
    # does torch.compile buy? Each part on its own, so one failing does not lose the others.
    for part, measure_part in (
        ("precision", lambda: {n: bench.precision(n) for n in ("pcinr-keyboard-64", "tcnn-keyboard-64")}),
        ("compile", lambda: {n: bench.compiled(n) for n in ("pcinr", "tcnn")}),
    ):  # fmt: skip
        try:
            out[part] = measure_part()
        except Exception as err:  # report, keep the rest of the lease's results
            out[part] = {"error": f"{type(err).__name__}: {err}"[:300]}
    return out


def measure(trainer: train.Trainer) -> dict:
    """Every measure but CDPAM of a finished trainer's run, on all its notes."""
    run = rendering.load_run(trainer.path)
    truth = run.truth()
    start = time.perf_counter()
    recon = run.render().numpy()
    render_s = time.perf_counter() - start
    values = metrics.evaluate(truth, recon, with_cdpam=False, progress=False)
    record = {k: float(v.mean()) for k, v in values.items()}
    record["snr_median"] = float(np.median(values["snr"]))
    record["hf_excess"] = float(np.median(analysis.hf_excess(truth, recon)))
    record["render_all_s"] = round(render_s, 2)
    return record


def unpack(carry: Path, runs: Path) -> set[str]:
    """Unpack every ``<run>.tar`` in ``carry`` into ``runs`` (a run already there is kept);
    returns the names of the runs now there to resume."""
    names = set()
    runs.mkdir(parents=True, exist_ok=True)
    for tar_path in sorted(carry.glob("*.tar")):
        with tarfile.open(tar_path) as tar:
            members = tar.getmembers()
            name = members[0].name.split("/")[0]
            if not (runs / name / "config.json").exists():
                tar.extractall(runs, members=members, filter="data")
        names.add(name)
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="NSynth-layout folder")
    parser.add_argument("--budget", type=float, default=80.0, help="training seconds per run")
    parser.add_argument("--deadline", type=float, default=520.0, help="stop starting runs after")
    parser.add_argument("--runs", type=Path, default=Path("/tmp/gpu_runs"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cpu", action="store_true", help="allow a CPU (to try the script)")
    parser.add_argument("--items", type=int, help="fewer notes per set (to try the script)")
    parser.add_argument(
        "--resume", action="store_true", help="train the runs in --runs another --budget seconds"
    )
    parser.add_argument(
        "--carry", type=Path, help="resume the runs whose tars (from an earlier lease) are here"
    )
    parser.add_argument(
        "--beyond",
        metavar="SET",
        help="train notebook 07's variants (beyond.VARIANTS) on this set instead of Table 1's",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    if not (torch.cuda.is_available() or args.cpu):
        print("no CUDA device: this check is for a GPU", file=sys.stderr)
        return 2

    carried = unpack(args.carry, args.runs) if args.carry else set()
    if not args.resume and not carried:  # a lease that trains carried runs on measured these
        (args.out / "gpu_bench.json").write_text(json.dumps(gpu_bench(), indent=1))
        print(f"bench done at {time.perf_counter() - start:.0f} s", flush=True)

    rows = None if args.beyond is None else beyond.VARIANTS
    plan = RUNS if rows is None else [(args.beyond, v) for v in beyond.VARIANTS]
    for set_name, arch in plan:
        left = args.deadline - (time.perf_counter() - start)
        if left < args.budget + 30:
            print(f"skipping {set_name} {arch}: {left:.0f} s left", flush=True)
            continue
        config = dataclasses.replace(
            experiments.train_config("paper", arch, set_name, 0, rows),
            data=str(args.data),
            items=args.items or 1024,
            checkpoint_every=1000,
        )
        slug = experiments.run_path("", "", "", arch, 0).name.removesuffix("-seed0")
        path = args.runs / f"{set_name}-{slug}"  # keyboard-PCINR, keyboard-PCINR-Wide, ...
        tick = time.perf_counter()
        again = args.resume or path.name in carried
        trainer = train.Trainer.resume(path) if again else train.Trainer.create(path, config)
        setup_s, resumed_from = time.perf_counter() - tick, trainer.step
        trainer.fit(progress=False, after_step=race.Clock(budget=args.budget))
        record = {
            "run": path.name,
            "variant": arch,
            "resumed_from": resumed_from,
            "set": set_name,
            "arch": arch,
            "seed": 0,
            "scale": "paper",
            "notes": len(trainer.clips),
            "steps": trainer.step,
            "steps_planned": config.steps,
            "epochs": round(trainer.step * config.batch / len(trainer.clips), 1),
            "train_s": round(trainer.seconds, 1),
            "step_ms": round(1000 * trainer.seconds / max(1, trainer.step - resumed_from), 2),
            "setup_s": round(setup_s, 1),
            "device": bench.machine()["gpu"] or bench.machine()["cpu"],
            "torch": torch.__version__,
        }
        record.update(measure(trainer))
        record["carried"] = path.name in carried
        with open(args.out / f"gpu_check{'_resumed' if again else ''}.jsonl", "a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)
        if rows is not None:  # ten checkpoints would pass what a lease brings back (8 files)
            continue
        with tarfile.open(args.out / f"{path.name}.tar", "w") as tar:
            for name in ("config.json", "loss.csv", "checkpoint.pt"):
                tar.add(path / name, arcname=f"{path.name}/{name}")
    print(f"done at {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
