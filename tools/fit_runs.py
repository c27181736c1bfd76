"""Keep the fit scale's runs across sessions, so nothing is trained twice (issue 27).

The fit-scale build (`cinr-lab table --scale fit --seeds 3 --jobs 2 --out results/fit`) takes
many hours on 2 cores and outlives a session; its records go to `results/fit/runs.jsonl` as runs
finish. This tool carries the run folders:

    .venv/bin/python tools/fit_runs.py ship      # runs/fit -> models/runs/
    .venv/bin/python tools/fit_runs.py restore   # models/runs/ -> runs/fit (before resuming)
    .venv/bin/python tools/fit_runs.py cost      # seconds per step, from the runs' loss curves

`ship` exports every finished run as `models/runs/fit/<set>/<run>` (float16 matrices, no
optimiser state: `cinr-lab export-model --float16`; snapshots are not kept: their measurements
are in the run's record), and copies every unfinished one whole (checkpoint with its optimiser
state, config, loss curve, snapshots) to `models/runs/fit-pending/<set>/<run>`, replacing an
older copy there. `restore` puts the pending runs back into `runs/fit/` where it holds none, so
the build resumes them from their last checkpoint, and the finished ones for `make runs`-style
reuse. `cost` writes `results/fit/step_cost.md`: each run's median seconds per training step
(from its `loss.csv`, the build's two runs side by side on one core each), and each row's cost
against the PCINR's, which sets the fit scale's equal-compute step (`Scale.compute`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cinr_lab import atomic, pretrained, train

RUNS = Path("runs/fit")
SHIPPED = Path("models/runs/fit")
PENDING = Path("models/runs/fit-pending")


def run_folders(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/*/config.json"))


def ship() -> None:
    for run in run_folders(RUNS):
        relative = run.relative_to(RUNS)
        loaded = train.load_run(run, device="cpu")
        if loaded.step >= loaded.train_config.steps:
            out = SHIPPED / relative
            if not (out / "config.json").exists() or train.load_run(out).step < loaded.step:
                pretrained.export(run, out, overwrite=out.exists(), float16=True)
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


def cost() -> None:
    import numpy as np

    from cinr_lab import bench

    rows: dict[str, list[float]] = {}
    lines = ["# Seconds per training step at the fit scale", "",
             "From each run's `loss.csv` (wall time between logged steps, median; the build trains",
             "two runs side by side, one torch thread each). Made by `tools/fit_runs.py cost`.", "",
             f"Machine: {bench.machine()['cpu']}, {bench.machine()['cores']} cores.", "",
             "| run | steps | median s/step |", "|---|---:|---:|"]  # fmt: skip
    for run in run_folders(RUNS):
        seconds = train.loss_curve(run)["seconds"]
        if len(seconds) < 50:
            continue
        per_step = float(np.median(np.diff(seconds)))
        rows.setdefault(run.name.rsplit("-seed", 1)[0], []).append(per_step)
        lines.append(f"| {run.relative_to(RUNS)} | {len(seconds)} | {per_step:.3f} |")
    pcinr = np.median(rows.get("PCINR", [np.nan]))
    lines += ["", "| row | median s/step | cost against the PCINR's step |", "|---|---:|---:|"]
    lines += [f"| {row} | {np.median(v):.3f} | {np.median(v) / pcinr:.2f} |" for row, v in rows.items()]
    Path("results/fit").mkdir(parents=True, exist_ok=True)
    atomic.write_text(Path("results/fit/step_cost.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    commands = {"ship": ship, "restore": restore, "cost": cost}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit(f"usage: {sys.argv[0]} ship|restore|cost")
    commands[sys.argv[1]]()
