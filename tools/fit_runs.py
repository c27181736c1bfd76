"""Keep the fit scale's runs across sessions, so nothing is trained twice (issue 27).

The fit-scale build (`cinr-lab table --scale fit --seeds 3 --jobs 2 --out results/fit`) takes
many hours on 2 cores and outlives a session; its records go to `results/fit/runs.jsonl` as runs
finish. This tool carries the run folders:

    .venv/bin/python tools/fit_runs.py ship      # runs/fit -> weights/runs/
    .venv/bin/python tools/fit_runs.py restore   # weights/runs/ -> runs/fit (before resuming)
    .venv/bin/python tools/fit_runs.py cost      # seconds per step of each row, side by side
    .venv/bin/python tools/fit_runs.py per-note  # beyond's older records: their notes' SNR

`ship` exports every finished run as `weights/runs/fit/<set>/<run>` (float16 matrices, no
optimiser state: `cinr-lab export-model --float16`, or float32 where float16 would move its
render by more than the export's tolerance; snapshots are not kept: their measurements
are in the run's record), and copies every unfinished one whole (checkpoint with its optimiser
state, config, loss curve, snapshots) to `weights/runs/fit-pending/<set>/<run>`, replacing an
older copy there. `restore` puts the pending runs back into `runs/fit/` where it holds none, so
the build resumes them from their last checkpoint, and the finished ones for `make runs`-style
reuse. `cost` writes `results/fit/step_cost.md`: each row's seconds per training step, timed
as the build runs it (beside a PCINR, one torch thread each; stop the build first), and its
cost against the PCINR's, which sets the fit scale's equal-compute step (`Scale.compute`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cinr_lab import atomic, rendering, runfolder
from cinr_lab.ops.ship import export

RUNS = Path("runs/fit")
SHIPPED = Path("weights/runs/fit")
PENDING = Path("weights/runs/fit-pending")


def run_folders(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/*/config.json"))


def ship() -> None:
    for run in run_folders(RUNS):
        relative = run.relative_to(RUNS)
        loaded = rendering.load_run(run, device="cpu")
        if loaded.step >= loaded.train_config.steps:
            out = SHIPPED / relative
            if not (out / "config.json").exists() or rendering.load_run(out).step < loaded.step:
                try:
                    export(run, out, overwrite=out.exists(), float16=True)
                except runfolder.RunError as err:  # float16 would change its sound: keep float32
                    print(f"{run}: {err}; exported in float32")
                    export(run, out, overwrite=out.exists())
                print(f"{run}: finished, exported to {out}")
            shutil.rmtree(PENDING / relative, ignore_errors=True)
        else:
            out = PENDING / relative
            with atomic.atomic_folder(out) as stage:
                for name in ("config.json", "checkpoint.pt", "loss.csv"):
                    shutil.copyfile(run / name, stage / name)
                if (run / "snapshots").is_dir():
                    shutil.copytree(run / "snapshots", stage / "snapshots")
            print(f"{run}: at step {loaded.step} of {loaded.train_config.steps}, copied to {out}")


def restore() -> None:
    for source in run_folders(PENDING) + run_folders(SHIPPED):
        relative = source.relative_to(PENDING if PENDING in source.parents else SHIPPED)
        target = RUNS / relative
        if (target / "config.json").exists():
            print(f"{target}: holds a run already, kept")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target)
        print(f"{target}: restored from {source}")


STEP_CODE = """
import dataclasses, sys, tempfile, time, torch
torch.set_num_threads(1)
from cinr_lab import experiments, rendering, runfolder, train
from cinr_lab.ops import jobs
jobs.keep_freed_memory()
arch, steps = sys.argv[1], int(sys.argv[2])
tc = dataclasses.replace(experiments.train_config("fit", arch, "keyboard", 0), steps=10**6,
                         snapshots=())
with tempfile.TemporaryDirectory() as d:
    t = train.Trainer.create(d + "/r", tc)
    for _ in range(3):
        t.train_step(t.batch_notes())
    start = time.perf_counter()
    for _ in range(steps):
        t.train_step(t.batch_notes())
    print((time.perf_counter() - start) / steps)
"""


def cost() -> None:
    """Time each row's training step as the build runs it: two runs side by side, one torch
    thread each (the PCINR beside each other row), on the keyboard set."""
    import os
    import subprocess

    from cinr_lab import experiments
    from cinr_lab.ops import bench

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def side_by_side(a: str, b: str) -> tuple[float, float]:
        procs = [subprocess.Popen([sys.executable, "-c", STEP_CODE, arch, str(n)], env=env,
                                  stdout=subprocess.PIPE, text=True)
                 for arch, n in ((a, 30), (b, 30 if b.startswith("PCINR") else 50))]  # fmt: skip
        return tuple(float(p.communicate()[0].split()[-1]) for p in procs)

    rows = {}
    for other in experiments.ARCHS:
        if other != "PCINR":
            pcinr, rows[other] = side_by_side("PCINR", other)
            rows.setdefault("PCINR", []).append(pcinr)
    pcinr = sum(rows["PCINR"]) / len(rows["PCINR"])
    m = bench.machine()
    lines = ["# Seconds per training step at the fit scale", "",
             "`tools/fit_runs.py cost`: each row's training step at the fit scale (16 keyboard notes,",
             "batch 16), timed as the build runs it: beside a PCINR, one torch thread each. A",
             "row's cost against the PCINR's sets its equal-compute step (`Scale.compute`).", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}.", "",
             "| row | s/step | cost against the PCINR's step |", "|---|---:|---:|",
             f"| PCINR | {pcinr:.3f} | 1.00 |"]  # fmt: skip
    lines += [f"| {row} | {t:.3f} | {t / pcinr:.2f} |" for row, t in rows.items() if row != "PCINR"]
    Path("results/fit").mkdir(parents=True, exist_ok=True)
    atomic.write_text(Path("results/fit/step_cost.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))


def per_note(records: Path = Path("results/fit/beyond.jsonl"), runs: Path = Path("runs")) -> None:
    """Give each fit-scale beyond record measured before records kept per-note values its
    notes' SNR, from its run folder (``runs/fit/...``, as `restore` leaves it): a render of the
    same run, held to the record's mean SNR (0.01 dB: a shipped float16 copy renders within
    0.002 dB of the run it was exported from), so the record still describes one run."""
    import json

    import numpy as np

    from cinr_lab import checks, experiments, metrics, nsynth

    keys = ("scale", "set", "variant", "seed")
    mine = checks.read_jsonl(records, keys=keys)
    filled = 0
    for r in mine:
        if r["scale"] != "fit" or "per_note" in r or "diverged" in r or r.get("from") == "table":
            continue
        path = experiments.run_path(runs, "fit", r["set"], r["variant"], r["seed"])
        truth = nsynth.load(None, subset=r["set"], items=experiments.SCALES["fit"].items).audio
        recon = rendering.load_run(path, device="cpu").render().numpy()
        snr = metrics.snr(truth, recon)  # as metrics.evaluate measures it
        if abs(float(np.mean(snr)) - r["snr"]) > 0.01:
            raise SystemExit(f"{path}: renders {np.mean(snr):.3f} dB, its record says "
                             f"{r['snr']:.3f} dB: not the run the record measured")  # fmt: skip
        r["per_note"] = {"snr": [float(x) for x in snr]}
        filled += 1
        print(f"{path}: {len(snr)} notes' SNR, mean {np.mean(snr):.3f} dB (record {r['snr']:.3f})")
    atomic.write_text(records, "".join(json.dumps(r) + "\n" for r in mine))
    print(f"{records}: {filled} records given their notes' SNR")


if __name__ == "__main__":
    commands = {"ship": ship, "restore": restore, "cost": cost, "per-note": per_note}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit(f"usage: {sys.argv[0]} ship|restore|cost|per-note")
    commands[sys.argv[1]]()
