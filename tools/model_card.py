"""Write models/README.md, the model card of the shipped models, from the models themselves.

Usage (after tools/train_shipped.sh): .venv/bin/python tools/model_card.py
Every number in the card comes from here: the training config and loss curve each model ships
with, and the paper's three metrics (plus the silence baseline) on the model's own notes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cinr_lab import atomic, bench, metrics, models, nsynth, pretrained, train

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    machine = bench.machine()
    rows, details = [], []
    for name in pretrained.SHIPPED:
        run = pretrained.load(name)
        tc = run.train_config
        curve = train.loss_curve(run.path)
        truth = nsynth.load(tc.data, subset=run.notes, seconds=tc.seconds).audio
        est = run.render().numpy()
        m = {k: float(v.mean()) for k, v in metrics.evaluate(truth, est, progress=False).items()}
        silence = float(metrics.mse(truth, metrics.silence(truth)).mean())
        size = (run.path / "checkpoint.pt").stat().st_size / 1e6
        params = models.parameter_counts(run.model)["total"]
        rows.append(
            f"| `{name}` | {run.model_config.kind} | {tc.set} | {len(run.notes)} | {run.step:,} | "
            f"{curve['seconds'][-1] / 60:.1f} min | {curve['loss'][-1]:.3g} | {m['mse']:.3g} "
            f"(silence {silence:.3g}) | {m['multi_stft']:.3g} | {m.get('cdpam', float('nan')):.3g} "
            f"| {size:.1f} MB |"
        )
        details.append(
            f"- `{name}`: {params:,} parameters; `TrainConfig` = "
            f"`{json.dumps({k: v for k, v in vars(tc).items() if v is not None})}`"
        )
    card = f"""# Shipped models: model card

Four auto-decoders trained with the project's own `cinr-lab train` on the embedded NSynth stand-in
(TimGM6mb SoundFont renders of the paper's note lists; see the main README), one PCINR and one TCNN
per paper set. Load one with `cinr_lab.pretrained.load("pcinr-keyboard")`; notebook 06 puts them in
the explorer. Each folder holds `config.json` (model and training configs, the note list),
`checkpoint.pt` (weights and latents only; no optimiser state, so it cannot be resumed) and
`loss.csv` (the training curve).

## How they were made

```sh
tools/train_shipped.sh          # cinr-lab train ... --out runs/shipped/<name>, then export-model
.venv/bin/python tools/model_card.py   # this file
```

`tools/train_shipped.sh` runs, for each set:

```sh
cinr-lab train --model pcinr --set keyboard --items 8 --batch 8 --coords 1000 --lr 3e-5 \\
  --steps 450 --latent-lr 1e-3 --seed 0 --checkpoint-every 500 --out runs/shipped/pcinr-keyboard
cinr-lab train --model tcnn --set keyboard --items 32 --batch 8 --lr 1e-4 \\
  --steps 2000 --latent-lr 1e-3 --seed 0 --checkpoint-every 500 --out runs/shipped/tcnn-keyboard
cinr-lab export-model runs/shipped/pcinr-keyboard --out models/pcinr-keyboard --overwrite
```

Data: the first second of the notes (8 for a PCINR, 32 for a TCNN) spread evenly over each paper
set's sorted note list, at 16 kHz.

Machine: {machine["cpu"]}, {machine["cores"]} cores, {machine["torch_threads"]} torch threads,
Python {machine["python"]}, torch {machine["torch"]}, GPU: {machine["gpu"] or "none"}.

The PCINRs are small because longer PCINR runs at this learning rate (3e-5) did not keep a fit.
32 notes in batches of 8 for 2000 steps never left the plateau where a decoder predicts
near-silence (`tools/model_card.py` on those models: full-clip MSE 15.4 vs silence's 15.4 on the
keyboard set, 40.6 vs 40.5 on the diverse set); 16 notes in batches of 16 left it by step 350 and
fell back onto it by step 1250 (training MSE 16.7, then 24.4; silence 24.4). The shipped PCINRs
use the settings of the CI-scale Table 1 runs, which fit (notebook 02). Making PCINR training
stable for more notes and steps (learning-rate schedule, the paper's smaller lr with far more
steps on a GPU) is open work.

These are CPU-budget models: a fraction of the paper's 1024 notes and 100k-step training (no GPU
was lent to this work); they are good enough to hear what the controls do, not to match the
paper's numbers.

## Results on their own notes

MSE is the squared error summed over a clip's 16,000 samples (mean over notes; silence's score
beside it), multi-STFT and CDPAM as in `cinr_lab.metrics` (lower is better for all three); loss is
the last training step's (MSE estimated from 1000 coordinates per note, plus multi-STFT).

| model | kind | set | notes | steps | wall time | final loss | MSE | multi-STFT | CDPAM | size |
|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{chr(10).join(details)}
"""
    atomic.write_text(ROOT / "models" / "README.md", card)
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
