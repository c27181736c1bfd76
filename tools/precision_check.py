"""Does bf16 keep a TCNN's training? The same short run (same seed, notes and recipe) trained in
float32 and under bf16 autocast (``TrainConfig.precision``), timed, and scored on its notes.

Usage (from the repository root)::

    .venv/bin/python tools/precision_check.py --steps 600 --out results/precision.md

Writes a Markdown table: training seconds, steps per second, the last step's loss, and the mean
per-note SNR and summed MSE of the whole clips, per precision, with the machine. The render-only
comparison of the shipped models is ``cinr-lab bench --only precision``.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path

from cinr_lab import atomic, bench, metrics, models, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps per run (600)")
    parser.add_argument("--items", type=int, default=64, help="keyboard notes (64)")
    parser.add_argument("--out", type=Path, required=True, help="markdown file to write")
    args = parser.parse_args(argv)
    base = train.recipe("paper", model="tcnn", set="keyboard", items=args.items, batch=16,
                        steps=args.steps, checkpoint_every=args.steps)  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("float32", "bf16"):
            config = dataclasses.replace(base, precision=precision)
            folder = Path(tmp) / precision
            trainer = train.Trainer.create(folder, config, models.config_for("tcnn"))
            trainer.fit(progress=False)
            run = train.load_run(folder, device="cpu")
            curve = train.loss_curve(folder)
            truth = run.truth()
            estimate = run.render().numpy()
            seconds = curve["seconds"][-1]
            rows.append(
                f"| {precision} | {seconds:.0f} | {args.steps / seconds:.2f} "
                f"| {curve['loss'][-1]:.3g} | {metrics.snr(truth, estimate).mean():.2f} "
                f"| {metrics.mse(truth, estimate).mean():.3g} |"
            )
            print(rows[-1], flush=True)
            shutil.rmtree(folder)
    m = bench.machine()
    text = "\n".join([
        "# bf16 autocast against float32: a TCNN's training",
        "",
        f"`tools/precision_check.py --steps {args.steps} --items {args.items}`: the TCNN with the "
        f"paper's recipe on {args.items} keyboard notes, batches of 16, {args.steps} steps, seed 0, "
        "once per precision. SNR: mean per-note dB over the notes (higher is better); MSE: summed "
        "over a clip, mean over notes.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}, GPU: {m['gpu'] or 'none'}.",
        "",
        "| precision | training s | steps/s | last loss | SNR dB | MSE |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])  # fmt: skip
    atomic.write_text(args.out, text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
