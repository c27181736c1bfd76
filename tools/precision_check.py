"""Does bf16 keep a TCNN's training, and does ``torch.compile`` keep a PCINR's? The same short
run (same seed, notes and recipe) trained two ways, timed, and scored on its notes: in float32
and under bf16 autocast (``TrainConfig.precision``), or with ``--compile``, eager and through
``torch.compile`` (``Trainer.compile``, ``cinr-lab train --compile``).

Usage (from the repository root)::

    .venv/bin/python tools/precision_check.py --steps 600 --out results/precision.md
    .venv/bin/python tools/precision_check.py --compile --model pcinr --items 16 --steps 500 \
        --out results/compile.md

Writes a Markdown table: training seconds, steps per second, the last step's loss, and the mean
per-note SNR and summed MSE of the whole clips, per way, with the machine. The render-only
comparison of the shipped models is ``cinr-lab bench --only precision``.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path

from cinr_lab import atomic, metrics, models, recipes, rendering, runfolder, train
from cinr_lab.ops import bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps per run (600)")
    parser.add_argument("--items", type=int, default=64, help="keyboard notes (64)")
    parser.add_argument("--model", default="tcnn", choices=list(models.PRESETS), help="(tcnn)")
    parser.add_argument(
        "--compile", action="store_true", help="eager against torch.compile, not bf16"
    )
    parser.add_argument("--out", type=Path, required=True, help="markdown file to write")
    args = parser.parse_args(argv)
    base = recipes.recipe("paper", model=args.model, set="keyboard", items=args.items, batch=16,
                        steps=args.steps, checkpoint_every=args.steps)  # fmt: skip
    ways = ("eager", "compiled") if args.compile else ("float32", "bf16")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for way in ways:
            config = base if args.compile else dataclasses.replace(base, precision=way)
            folder = Path(tmp) / way
            trainer = train.Trainer.create(folder, config, models.config_for(args.model))
            if way == "compiled" and trainer.compile() is not None:
                raise SystemExit("torch.compile failed here: nothing to compare")
            trainer.fit(progress=False)
            run = rendering.load_run(folder, device="cpu")
            curve = runfolder.loss_curve(folder)
            truth = run.truth()
            estimate = run.render().numpy()
            seconds = curve["seconds"][-1]
            rows.append(
                f"| {way} | {seconds:.0f} | {args.steps / seconds:.2f} "
                f"| {curve['loss'][-1]:.3g} | {metrics.snr(truth, estimate).mean():.2f} "
                f"| {metrics.mse(truth, estimate).mean():.3g} |"
            )
            print(rows[-1], flush=True)
            shutil.rmtree(folder)
    m = bench.machine()
    title = "torch.compile against eager" if args.compile else "bf16 autocast against float32"
    command = f"--steps {args.steps} --items {args.items}" + (
        f" --compile --model {args.model}" if args.compile else f" --model {args.model}"
    )
    text = "\n".join([
        f"# {title}: a {args.model.upper()}'s training",
        "",
        f"`tools/precision_check.py {command}`: the {args.model.upper()} with the "
        f"paper's recipe on {args.items} keyboard notes, batches of 16, {args.steps} steps, "
        "seed 0, once each way. SNR: mean per-note dB over the notes (higher is better); MSE: "
        "summed over a clip, mean over notes.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}, GPU: {m['gpu'] or 'none'}.",
        "",
        f"| {'way' if args.compile else 'precision'} "
        "| training s | steps/s | last loss | SNR dB | MSE |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])  # fmt: skip
    atomic.write_text(args.out, text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
