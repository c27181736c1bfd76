"""Turn what ``tools/gpu_check.py`` returned into ``results/paper_gpu.md``.

The GPU machine measured every run on all 1024 notes but CDPAM (its weights need a network);
this adds CDPAM on the first ``--cdpam-items`` notes of each run on the CPU, the silence baseline
on the same notes, and the training loss at equal steps from each run's ``loss.csv``.

    python tools/gpu_data.py unpack .gpu/nsynth --out /tmp/nsynth   # the data the runs record
    python tools/gpu_results.py --tars DEVICE_OUT --data /tmp/nsynth

``DEVICE_OUT`` holds the last ``<set>-<arch>.tar`` of each run; they are unpacked to
``runs/paper/<set>/<Arch>-seed0`` (where ``cinr-lab table --scale paper`` would resume them).
The device's records are read from ``results/paper_gpu/`` (committed as they came back), its
benchmarks from ``benchmarks/gpu-nvidia-h200.json`` (its ``gpu_bench.json``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cinr_lab import atomic, experiments, metrics, nsynth, rendering, runfolder  # noqa: E402

SETS = ("keyboard", "diverse")
ARCHS = ("PCINR", "TCNN")
EQUAL_STEPS = (500, 1000, 2000, 3000, 5000, 7000)
WINDOW = 200  # steps averaged around each point of the loss curve


def unpack(tars: Path, runs: Path) -> None:
    for set_name in SETS:
        for arch in ARCHS:
            target = experiments.run_path(runs, "paper", set_name, arch, 0)
            with (
                tempfile.TemporaryDirectory() as tmp,
                tarfile.open(tars / f"{set_name}-{arch}.tar") as tar,
            ):
                tar.extractall(tmp, filter="data")
                if target.exists():
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(Path(tmp) / f"{set_name}-{arch}", target)


def records(folder: Path) -> dict[tuple[str, str], list[dict]]:
    """The device's records per (set, arch), in training order."""
    out: dict[tuple[str, str], list[dict]] = {}
    for name in ("gpu_check.jsonl", "gpu_check_resumed.jsonl"):
        for line in (folder / name).read_text().splitlines():
            record = json.loads(line)
            set_name, arch = (
                record.get("run", "").split("-")
                if "run" in record
                else (record["set"], record["arch"])
            )
            out.setdefault((set_name, arch), []).append(record)
    return out


def loss_at(path: Path, steps) -> list[float | None]:
    curve = runfolder.loss_curve(path)
    out = []
    for k in steps:
        near = (curve["step"] > k - WINDOW) & (curve["step"] <= k)
        out.append(float(curve["mse"][near].mean()) if near.any() else None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tars", type=Path, help="the device's last output folder")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--cdpam-items", type=int, default=64)
    parser.add_argument(
        "--bench", type=Path, default=Path("benchmarks/gpu-nvidia-h200.json"), help="gpu_bench.json"
    )
    args = parser.parse_args()
    if args.tars:
        unpack(args.tars, args.runs)
    device = records(args.out / "paper_gpu")
    bench = json.loads(args.bench.read_text())
    n = args.cdpam_items
    rows, curves, summary = [], {}, []
    cache_path = args.out / "paper_gpu" / "cdpam.json"  # CDPAM is the slow part: kept
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    for set_name in SETS:
        truth_all = nsynth.load(args.data, subset=set_name).audio
        silence = metrics.evaluate(truth_all, metrics.silence(truth_all), with_cdpam=False,
                                   progress=False)  # fmt: skip
        key = f"{set_name} Silence {n}"
        if key not in cache:
            quiet = metrics.silence(truth_all[:n])
            cache[key] = float(metrics.cdpam(truth_all[:n], quiet, progress=False).mean())
        silence_cdpam = cache[key]
        rows.append((set_name, "Silence", None, float(silence["snr"].mean()),
                     float(silence["mse"].mean()), float(silence["multi_stft"].mean()),
                     silence_cdpam, None))  # fmt: skip
        for arch in ARCHS:
            path = experiments.run_path(args.runs, "paper", set_name, arch, 0)
            run = rendering.load_run(path, device="cpu")
            key, items = f"{set_name} {arch} {n} step {run.step}", list(range(n))
            if key not in cache:
                recon = run.render(items).numpy()
                cache[key] = float(metrics.cdpam(run.truth(items), recon, progress=False).mean())
            cdpam = cache[key]
            parts = device[(set_name, arch)]
            seconds = 0.0
            for part in parts:
                seconds += part.get("train_s", part.get("train_s_this_part", 0.0))
                rows.append((set_name, arch, (part["steps"], round(seconds)), part["snr"],
                             part["mse"], part["multi_stft"],
                             cdpam if part is parts[-1] else None, part["hf_excess"]))  # fmt: skip
            assert parts[-1]["steps"] == run.step, f"{path}: not the device's last checkpoint"
            curves[(set_name, arch)] = loss_at(path, EQUAL_STEPS)
            summary.append({"set": set_name, "arch": arch, "steps": run.step,
                            "train_s": round(seconds, 1), "cdpam_items": n, "cdpam": cdpam,
                            **{k: parts[-1][k] for k in ("snr", "snr_median", "mse", "multi_stft",
                                                         "hf_excess")}})  # fmt: skip
        atomic.write_text(cache_path, json.dumps(cache, indent=1) + "\n")
    write(args, rows, curves, bench, summary, n)
    return 0


def _num(x, digits=3):
    return "–" if x is None else f"{x:.{digits}g}"


def write(args, rows, curves, bench, summary, n) -> None:
    machine = bench["machine"]
    device = records(args.out / "paper_gpu")
    steps_ms = [(s, a, float(np.mean([p["step_ms"] for p in device[(s, a)]])))
                for s in SETS for a in ARCHS]  # fmt: skip
    lines = [
        "# Table 1 at the paper's scale, reduced: seed 0, ~155 s of training per run on a GPU",
        "",
        "Made by `tools/gpu_check.py` on the GPU machine (commands below) and "
        "`tools/gpu_results.py` here (CDPAM, silence, loss curves). "
        f"Device: {machine['gpu']}, {machine['cores']} CPU cores, torch {machine['torch']}, "
        f"Python {machine['python']}. Data: the embedded set's 1024 notes of each paper set "
        "(first second, 16 kHz), carried as FLAC (`tools/gpu_data.py`, lossless).",
        "",
        "Each run is `cinr-lab train --preset paper` (the paper's recipe: AdaBelief, plateau "
        "schedule, SGD latent step; batches of 16 notes, 8000 coordinates per PCINR note) "
        "stopped on a wall-clock budget: 75 s, then resumed for 80 s more. The paper plans "
        "100,000 steps; these runs are 7–20 % of that, so **this is an early snapshot of "
        "the paper's training, not its end point**. One seed.",
        "",
        f"SNR, MSE, multi-STFT and HF excess: all 1024 notes (means; HF excess: median "
        f"share of the note's energy above 4 kHz beyond the truth's, > 0 is hiss). CDPAM: "
        f"the first {n} notes, on the CPU, at the last checkpoint.",
        "",
        "| set | model | steps (train s) | SNR dB | MSE | Multi-STFT | CDPAM | HF excess % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for set_name, arch, when, snr, mse, stft, cdpam, hf in rows:
        when = "–" if when is None else f"{when[0]:,} ({when[1]})"
        hf = "–" if hf is None else f"{100 * hf:+.3f}"
        lines.append(
            f"| {set_name} | {arch} | {when} | {snr:.2f} | {mse:.3g} | {stft:.3g} | "
            f"{_num(cdpam)} | {hf} |"
        )
    lines += [
        "",
        f"Training MSE (the whole-clip estimate on each step's batch, mean of the {WINDOW} "
        "steps up to the step named): who learns faster per step.",
        "",
        "| set | model | " + " | ".join(f"step {k:,}" for k in EQUAL_STEPS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in EQUAL_STEPS) + " |",
    ]
    for (set_name, arch), values in curves.items():
        lines.append(f"| {set_name} | {arch} | " + " | ".join(_num(v) for v in values) + " |")
    lines += [
        "",
        f"Speed on this device (`{args.bench}`, float32, eager, no `torch.compile`): training "
        "step at 16 notes × 8000 coordinates (the TCNN: 16 whole clips) with `cinr-lab bench`'s "
        "default recipe (Adam and the multi-STFT loss; the paper recipe's steps above took "
        f"{', '.join(f'{r[0]} {r[1]} {r[2]:.1f} ms' for r in steps_ms)}), and rendering one "
        "second from one latent.",
        "",
        "| model | step ms | coordinates/s | peak GPU MB | render 1 s (RTF) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, t in bench["train"].items():
        r = bench["render"][name]
        lines.append(
            f"| {name} | {1000 * t['step_s']:.1f} | {t['points_per_s']:,} | "
            f"{t['peak_gpu_mb']:,} | {r['rtf']:.4f} |"
        )
    lines += [
        "",
        "Commands (GPU machine, Python 3.12, the wheels of soundfile, soxr, auraloss and "
        "adabelief-pytorch carried):",
        "",
        "```",
        "python tools/gpu_data.py unpack .gpu/nsynth --out /tmp/nsynth",
        "python tools/gpu_check.py --data /tmp/nsynth --budget 75 --deadline 470 --out $OUT",
        "python tools/gpu_check.py --data /tmp/nsynth --budget 80 --resume --out $OUT",
        "```",
        "",
        "(The second part ran as the same calls from an inline script, before `--resume` was "
        "added to `gpu_check.py`; its records are `paper_gpu/gpu_check_resumed.jsonl`.)",
    ]
    atomic.write_text(args.out / "paper_gpu.md", "\n".join(lines) + "\n")
    atomic.write_text(args.out / "paper_gpu.json", json.dumps(summary, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
