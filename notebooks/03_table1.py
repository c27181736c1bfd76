# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Table 1: TCNN vs PCINR, Wide and WR, over three seeds
#
# The paper's Table 1 compares four decoders of equal size on both sets with three metrics, as
# mean ± std over three training runs, next to two baselines (silence and white noise):
#
# * **MSE** — squared error summed over the clip's 16,000 samples (lower is better);
# * **Multi-STFT MSE** — the mean absolute difference of normalised STFT magnitudes at windows
#   4096…128, summed over the six scales (despite its name, not a squared error);
# * **CDPAM** — a learned perceptual distance (Manocha et al., 2021), on 22,050 Hz input.
#
# `cinr-lab table --scale ci` trains every cell (4 architectures × 2 sets × 3 seeds = 24 runs),
# evaluates them and writes `results/`. At the `ci` scale each set is **8 notes**, each run 450
# steps (about 40 minutes for the whole table on 2 CPU cores); the paper used 1024 notes per set
# and far longer training on GPUs. This notebook reads those committed results; to rebuild them
# run the command (or `--scale paper` on a GPU) and re-run the notebook.

# %% tags=["parameters"]
SCALE = "ci"  # which results to show: "ci" (committed) or "paper" (after a GPU run)
RESULTS = "../results"  # where `cinr-lab table --scale SCALE --out results` wrote them

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from cinr_lab import nsynth, plots, table

path = Path(RESULTS) / "runs.jsonl"
if not path.exists():
    raise FileNotFoundError(f"{path}: run `cinr-lab table --scale {SCALE}` from the repository root first")
records = [r for r in map(json.loads, path.read_text().splitlines()) if r["scale"] == SCALE]
ours = table.aggregate(records, nsynth.SETS)
print(f"{len(records)} evaluated runs and baselines; seeds {sorted({r['seed'] for r in records})};",
      f"{table.SCALES[SCALE].items} notes per set")

# %% [markdown]
# ## The table, beside the paper's

# %%
display(Markdown((Path(RESULTS) / "table1.md").read_text()))

# %% [markdown]
# ## Each metric per architecture
# Bars: this run, mean ± std over seeds; red diamonds: the paper. MSE is on a log axis.

# %%
fig, axes = plt.subplots(len(table.METRICS), len(nsynth.SETS), figsize=(10, 10))
for row, metric in zip(axes, table.METRICS, strict=True):
    for ax, set_name in zip(row, nsynth.SETS, strict=True):
        plots.table_bars(ours, table.PAPER, f"{metric} {set_name}", ax, log=metric == "mse")
axes[0][0].legend(fontsize=8)
fig.tight_layout()
plots.save(fig, "../figures/03_table1.png")
plt.show()

# %% [markdown]
# ## Which of the paper's findings hold at this scale

# %%
found = dict(table.findings(ours))
for text, ok in found.items():
    print(f"{'yes' if ok else 'no ' if ok is not None else 'n/a'}  {text}")

# %% [markdown]
# At this scale (8 notes per set, 450 steps, 3 seeds, on the embedded stand-in):
#
# * **PCINRs beat the TCNN on MSE on both sets — reproduced**, by a factor of three to four.
# * **The plain PCINR losing to the TCNN on the keyboard set's perceptual metrics — not
#   reproduced.** Its CDPAM is lower than the TCNN's and the multi-STFT distances tie. The PCINR
#   does hiss (notebook 02 hears and measures it), but at this budget the TCNN is the weaker
#   model: it reproduces the loudest notes and leaves the quiet ones near silence, so it is not
#   the competitor the paper's fully trained TCNN was.
# * **Less depth ("Wide", 4 × 365) improving on the plain PCINR — reproduced**, and by far: Wide is
#   the best decoder on every metric and both sets. **Weight regularisation at our weight (1e-3)
#   does nothing measurable**: PCINR WR is within noise of the plain PCINR. The paper does not
#   state its weight; a sweep is future work.
# * The absolute numbers are not the paper's: 8 stand-in notes instead of 1024 NSynth notes (our
#   silence MSE is 63 / 17 where the paper's is 46 / 79), and our multi-STFT values sit 4–9×
#   below the paper's for silence (0.036 / 0.019 vs 0.16), so its exact normalisation differs from the
#   definition we implement. CDPAM lands in the paper's range (silence 1.49 / 1.46 vs 1.65 / 1.77,
#   noise about 1.0 vs 1.06).
#
# The claims above, checked against the results (nbval fails if a rebuilt table changes them):

# %%
assert found == {
    "PCINRs beat TCNNs on MSE on both sets": True,
    "on the keyboard set the plain PCINR loses to the TCNN on CDPAM": False,
    "on the keyboard set Wide or WR improves on the plain PCINR in CDPAM": True,
    "on the keyboard set the plain PCINR loses to the TCNN on Multi-STFT MSE": False,
    "on the keyboard set Wide or WR improves on the plain PCINR in Multi-STFT MSE": True,
}
for column in table.PAPER_COLUMNS:  # Wide is the best decoder everywhere
    assert min(table.ARCHS, key=lambda a: ours[a][column][0]) == "PCINR Wide", column
for s in nsynth.SETS:
    assert 3 < ours["TCNN"][f"mse {s}"][0] / ours["PCINR"][f"mse {s}"][0] < 5
    pcinr, wr = ours["PCINR"][f"mse {s}"], ours["PCINR WR"][f"mse {s}"]
    assert abs(wr[0] - pcinr[0]) < pcinr[1] + wr[1]  # WR within one std of the plain PCINR
print("claims hold")
