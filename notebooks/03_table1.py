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
# ## The paper's multi-STFT rows do not fit together; compare as ratios to silence
#
# We compute the multi-STFT metric exactly as the paper's `objective.py` defines it (normalised
# `torch.stft`, Hann windows 4096…128, hop ¼, mean `| |X| − |Y| |`, summed over scales). For
# white noise of standard deviation σ it is close to proportional to σ, whatever the notes are, and
# the paper's noise row is σ = 0.25 noise (its MSE, ~1e3 = 16000 σ²). Measured on our notes:

# %%
from cinr_lab import metrics

notes = nsynth.load(subset="keyboard", items=table.SCALES[SCALE].items).audio
noise_stft = {s: float(metrics.multi_stft_mse(notes, metrics.noise(notes, 0) * s / metrics.NOISE_STD).mean())
              for s in (0.125, 0.25, 0.5)}
slope = noise_stft[0.25] / 0.25
implied = 2.27 / slope  # the σ the paper's noise multi-STFT (2.27) would need
for s, v in noise_stft.items():
    print(f"noise σ = {s:<5}: multi-STFT {v:.3f}, MSE ≈ {16000 * s**2:,.0f}")
print(f"the paper's 2.27 needs σ ≈ {implied:.2f}, i.e. a noise MSE ≈ {16000 * implied**2:,.0f}, "
      f"not the ~1,000 its table gives")

# %% [markdown]
# So the published noise row (multi-STFT 2.27 *and* MSE ~1e3) is not one signal under the
# published definition; its silence row (0.16) is 4–9× our notes' too. We keep the published
# definition and compare with the paper through ratios to the silence row, which cancel a
# constant factor and the loudness of the notes (ours are not its recordings):

# %%
ratios, paper_ratios = table.relative_to_silence(ours), table.relative_to_silence(table.PAPER)
rows = ["| Arch. | " + " | ".join(f"{table.METRIC_NAMES[c.split()[0]]} {c.split()[1].title()}"
                                   for c in table.PAPER_COLUMNS) + " |",
        "|---" * (len(table.PAPER_COLUMNS) + 1) + "|"]
for arch in (*table.ARCHS, "Noise"):
    rows.append(f"| {arch} | " + " | ".join(
        f"{ratios[arch][c]:.2g} (paper {paper_ratios[arch][c]:.2g})" for c in table.PAPER_COLUMNS) + " |")
display(Markdown("Each row ÷ silence, ours (paper):\n\n" + "\n".join(rows)))
assert 0.6 < implied < 0.8 and 0.75 < noise_stft[0.25] < 0.85
assert abs(noise_stft[0.5] / noise_stft[0.25] - 2) < 0.1  # proportional to σ

# %% [markdown]
# Read as ratios, the paper's decoders reach 1–14 % of silence's MSE and 25–88 % of its
# multi-STFT distance. At our CI scale (cinr_lab 0.1's models, 8 notes, 450 steps) the plain PCINR
# and WR reach 17–21 % of silence's MSE, Wide 2–8 % and the TCNN 69–80 %; on multi-STFT only Wide
# (53–70 %) clearly beats silence, the TCNN sits at 94–96 % and the plain PCINR at 94 % (keyboard)
# and 146 % (diverse: its hiss costs more spectral distance than silence does). Our decoders are
# further from their targets than the paper's fully trained ones, the TCNN most of all.

# %%
for s in nsynth.SETS:
    assert 0.15 < ratios["PCINR"][f"mse {s}"] < 0.25 and ratios["PCINR Wide"][f"mse {s}"] < 0.1
    assert 0.65 < ratios["TCNN"][f"mse {s}"] < 0.85
    assert ratios["PCINR Wide"][f"multi_stft {s}"] < 0.75 < 0.9 < ratios["TCNN"][f"multi_stft {s}"]
assert ratios["PCINR"]["multi_stft diverse"] > 1  # worse than silence on spectral distance
assert max(paper_ratios[a][f"mse {s}"] for a in table.ARCHS for s in nsynth.SETS) < 0.15

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
#   below the paper's for silence (0.036 / 0.019 vs 0.16): the next section shows why no
#   definition of the metric could give the paper's silence and noise rows together. CDPAM lands
#   in the paper's range (silence 1.49 / 1.46 vs 1.65 / 1.77, noise about 1.0 vs 1.06).
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
