"""Training parity: cinr_lab's recipe="paper" against the paper's own training loop.

Both start from the same seed-0 weights and latents on the same notes; each then draws its own
batches and coordinates (cinr_lab from its seeded generators, the paper's loop from the global
torch RNG, as its train.py does), so agreement is statistical, not bit-for-bit. Writes
results/training_parity.csv (per-epoch mean batch loss of each) and results/training_parity.md.

Usage (from the repository root, after `make install`):
    .venv/bin/python tools/training_parity.py [--items 32 --batch 8 --coords 2000 --steps 500]
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cinr_lab import atomic, metrics, models, recipes, rendering, runfolder, train
from cinr_lab.ops import reference


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="keyboard")
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--coords", type=int, default=2000)  # train.py's samples_per_datapoint
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--out", default="results")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    config = recipes.recipe(
        "paper", model="pcinr", set=args.set, items=args.items, steps=args.steps,
        batch=args.batch, coords=args.coords, lr=args.lr, seed=0, checkpoint_every=10**9,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        trainer = train.Trainer.create(Path(tmp) / "run", config)
        paper, _ = reference.paper_model(trainer.model)
        audio, z0 = trainer.audio.clone(), trainer.latents.detach().clone()
        start = time.perf_counter()
        trainer.fit(progress=False)
        ours_s = time.perf_counter() - start
        ours = runfolder.loss_curve(trainer.path)["loss"]
        ours_wave = rendering.render(trainer.model, trainer.latents.detach()).numpy()

    theirs: list[float] = []
    torch.manual_seed(0)  # the paper's init_seed(rand_seed=False)
    start = time.perf_counter()
    z = reference.paper_training(
        paper, audio, z0, steps=args.steps, batch=args.batch, coords=args.coords, lr=args.lr,
        log=lambda step, loss: theirs.append(loss),
    )  # fmt: skip
    theirs_s = time.perf_counter() - start
    with torch.no_grad():
        grid = models.grid(audio.shape[1])
        theirs_wave = np.concatenate(
            [reference.paper_forward(paper, part, grid).numpy() for part in z.split(8)]
        )

    truth = audio.numpy()
    final = {
        "ours": float(metrics.mse(truth, ours_wave).mean()),
        "paper": float(metrics.mse(truth, theirs_wave).mean()),
        "silence": float(metrics.mse(truth, np.zeros_like(truth)).mean()),
    }
    per_epoch = -(-args.items // args.batch)
    epochs = len(ours) // per_epoch
    curve = [
        (e + 1, ours[e * per_epoch : (e + 1) * per_epoch].mean(),
         np.mean(theirs[e * per_epoch : (e + 1) * per_epoch]))
        for e in range(epochs)
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", "ours_loss", "paper_loss"])
    writer.writerows([e, f"{a:.6g}", f"{b:.6g}"] for e, a, b in curve)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(out / "training_parity.csv", buffer.getvalue())

    gap = abs(final["ours"] / final["paper"] - 1)
    machine = f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    command = "python tools/training_parity.py " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        '# Training parity: cinr_lab recipe="paper" vs the paper\'s train.py loop',
        "",
        f"Command: `{command.strip()}`  ",
        f"Machine: {machine}, {platform.processor() or platform.platform()}  ",
        f"Setting: PCINR (paper build), {args.set} set, {args.items} notes, batch {args.batch}, "
        f"{args.coords} coordinates per note, lr {args.lr:g}, {args.steps} steps, seed 0; same "
        "initial weights and latents, independent batches and coordinates.",
        "",
        "| | whole-clip MSE after training (mean over notes) | wall time |",
        "|---|---:|---:|",
        f'| cinr_lab `recipe="paper"` | {final["ours"]:.4g} | {ours_s:.0f} s |',
        f"| the paper's loop (INR-collection model, adabelief_pytorch) | {final['paper']:.4g} "
        f"| {theirs_s:.0f} s |",
        f"| silence | {final['silence']:.4g} | |",
        "",
        f"Relative gap of the final MSEs: {gap:.1%} "
        f"({'within' if gap <= 0.10 else 'OUTSIDE'} the 10 % the issue asks).",
        "",
        "Per-epoch mean batch loss (the objective each optimises), every "
        f"{max(1, epochs // 10)} epochs:",
        "",
        "| epoch | cinr_lab | paper's loop |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {e} | {a:.4g} | {b:.4g} |" for e, a, b in curve[:: max(1, epochs // 10)]]
    atomic.write_text(out / "training_parity.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if gap <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
