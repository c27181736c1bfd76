#!/usr/bin/env bash
# Train and export the pretrained models shipped in models/ (see models/README.md, the model card).
# Usage: tools/train_shipped.sh   (from the repository root, with .venv set up by make)
# The shipped models are still cinr_lab 0.1's (the -v0 presets) until issue 10's re-run.
# Each run goes to runs/shipped/<name>; the exported weights-only copy to models/<name>.
#
# The PCINRs use the settings of the CI-scale Table 1 runs (8 notes, all in every step, 1000
# coordinates each, 450 steps), the ones seen to fit. Longer PCINR runs at lr 3e-5 did not hold a
# fit: 32 notes in batches of 8 for 2000 steps stayed on the "predict silence" plateau (full-clip
# MSE = silence's), and 16 notes in batches of 16 left it by step 350 and fell back by step 1250.
set -euo pipefail
BIN=${BIN:-.venv/bin}
for set in keyboard diverse; do
  for model in pcinr tcnn; do
    name="$model-$set"
    if [ "$model" = pcinr ]; then
      args=(--items 8 --batch 8 --coords 1000 --lr 3e-5 --steps 450)
    else
      args=(--items 32 --batch 8 --lr 1e-4 --steps 2000)
    fi
    if [ ! -f "runs/shipped/$name/checkpoint.pt" ]; then
      /usr/bin/time -f "$name: %e s wall" "$BIN/cinr-lab" train --model "$model-v0" --set "$set" \
        "${args[@]}" --latent-lr 1e-3 --seed 0 --checkpoint-every 500 \
        --out "runs/shipped/$name"
    fi
    "$BIN/cinr-lab" export-model "runs/shipped/$name" --out "models/$name" --overwrite
  done
done
