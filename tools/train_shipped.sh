#!/usr/bin/env bash
# Make the shipped models (cinr_lab/models/<kind>-<set>, see cinr_lab/models/README.md) and the
# study's shipped runs (models/runs/, which `make runs` copies instead of training).
# Usage: tools/train_shipped.sh   (from the repository root, with .venv set up by make)
#
# The shipped models are the study's seed-0 runs at the study scale (32 notes per set): the TCNN
# row's run, and the PCINR (ours) row's run, the best-fitting PCINR of the table at the same wall
# time as the paper recipe's. `cinr-lab runs --retrain` trains whatever runs/study/ lacks.
set -euo pipefail
BIN=${BIN:-.venv/bin}
"$BIN/cinr-lab" runs --scale study --retrain --ship
for set in keyboard diverse; do
  "$BIN/cinr-lab" export-model "runs/study/$set/PCINR-ours-seed0" --out "cinr_lab/models/pcinr-$set" --overwrite
  "$BIN/cinr-lab" export-model "runs/study/$set/TCNN-seed0" --out "cinr_lab/models/tcnn-$set" --overwrite
done
"$BIN/python" tools/model_card.py >/dev/null
