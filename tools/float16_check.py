"""Does float16 storage keep the shipped runs' numbers? Rounds each run's weights both ways and
scores its notes: every tensor to float16, and what ``cinr-lab export-model --float16`` stores
(:func:`cinr_lab.pretrained.halved`: matrices float16, vectors float32).

Usage (from the repository root; the runs must be float32 ones, e.g. from before they were
shipped as float16)::

    git archive a2bae21 models cinr_lab/models | tar -x -C /tmp/fp32
    .venv/bin/python tools/float16_check.py /tmp/fp32/models/runs/study/*/* --out results/float16.md
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from cinr_lab import atomic, metrics, nsynth, pretrained, rendering


def rounded(run: rendering.Run, which) -> tuple[np.ndarray, float]:
    """The run's notes rendered with the tensors ``which(tensor)`` picks rounded to float16."""
    state = {k: v.clone() for k, v in run.model.state_dict().items()}
    n = total = 0
    with torch.no_grad():
        for p in run.model.parameters():
            total += p.numel()
            if which(p):
                p.copy_(p.half().float())
                n += p.numel()
        latents = run.latents.half().float() if which(run.latents) else run.latents
        out = rendering.render(run.model, latents).numpy()
    run.model.load_state_dict(state)
    return out, n / total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="float32 run or model folders")
    parser.add_argument("--out", type=Path, required=True, help="markdown file to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = []
    truths: dict[tuple[str, int], np.ndarray] = {}
    for path in args.runs:
        run = rendering.load_run(path, device="cpu")
        if any(v.dtype != torch.float32 for v in run.model.state_dict().values()):
            sys.exit(f"{path}: not a float32 run")
        key = (run.train_config.set, len(run.notes))
        if key not in truths:
            truths[key] = nsynth.load(subset=key[0], items=key[1]).audio
        truth = truths[key]
        full = run.render().numpy()
        every, _ = rounded(run, lambda t: t.is_floating_point())
        matrices, share = rounded(run, pretrained.halved)
        cells = [f"{path.parent.name}/{path.name}", f"{share:.1%}"]
        for wave in (full, every, matrices):
            cells += [
                f"{metrics.mse(truth, wave).mean():.5g}",
                f"{metrics.snr(truth, wave).mean():.4f}",
            ]
        cells.append(f"{np.abs(matrices - full).max():.1e}")
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    lines = [
        "# Float16 storage of the shipped runs",
        "",
        f"Made by `tools/float16_check.py` (the usage in its docstring) on "
        f"{platform.machine()}, torch {torch.__version__}. Each run's own notes (the study's "
        "32 per set); MSE summed over a clip, mean over notes; SNR mean per-note dB. "
        "*all float16*: every weight and the latents rounded to float16; *export*: what "
        "`cinr-lab export-model --float16` stores (matrices float16, vectors float32: biases, "
        "weight-norm gains, the first layer's column); *max diff*: the largest sample "
        "difference between the export's render and the float32 one.",
        "",
        "| run | share float16 | MSE float32 | SNR float32 | MSE all float16 | SNR all float16 "
        "| MSE export | SNR export | max diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    atomic.write_text(args.out, "\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
