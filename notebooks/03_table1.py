# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
# `cinr-lab table --scale study` trains every cell (5 rows × 2 sets × 3 seeds = 30 runs), evaluates
# them and writes `results/`. The four paper rows are the paper code's models trained with its
# recipe (`recipe="paper"`); "PCINR (ours)" is the same PCINR with our recipe, given the same wall
# time. At the `study` scale each set is **32 notes**, each run 200 steps of 8 notes (50 epochs;
# about an hour for the whole table on 2 CPU cores): early training, where the paper used 1024
# notes per set and thousands of epochs on GPUs. This notebook reads those committed results; to
# rebuild them run the command (or `--scale paper` on a GPU) and re-run the notebook.

# %% tags=["parameters"]
SCALE = None  # which results: None ($CINR_SCALE, else "study": committed) or "paper" (after a GPU run)
RESULTS = "../results"  # where `cinr-lab table --scale SCALE --out results` wrote them

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from cinr_lab import claims, experiments, nsynth, plots, table

SCALE = experiments.scale_name(SCALE)
path = Path(RESULTS) / "runs.jsonl"
if not path.exists():
    raise FileNotFoundError(f"{path}: run `cinr-lab table --scale {SCALE}` from the repository root first")
records = [r for r in map(json.loads, path.read_text().splitlines()) if r["scale"] == SCALE]
ours = table.aggregate(records, nsynth.SETS)
print(f"{len(records)} evaluated runs and baselines; seeds {sorted({r['seed'] for r in records})};",
      f"{experiments.SCALES[SCALE].items} notes per set")

# %% [markdown]
# ## The table, beside the paper's

# %%
display(Markdown((Path(RESULTS) / "table1.md").read_text()))

# %% [markdown]
# ## Each metric per architecture
# Bars: this run, mean ± std over seeds; red diamonds: the paper. MSE and multi-STFT are on log
# axes (the paper's multi-STFT silence and noise rows are orders of magnitude above the rest).

# %%
fig, axes = plt.subplots(len(table.METRICS), len(nsynth.SETS), figsize=(11, 12))
for row, metric in zip(axes, table.METRICS, strict=True):
    for ax, set_name in zip(row, nsynth.SETS, strict=True):
        plots.table_bars(ours, table.PAPER, f"{metric} {set_name}", ax, log=metric in ("mse", "multi_stft"))
axes[0][0].legend(fontsize=8)
fig.tight_layout()
plots.save(fig, experiments.figure_path("../figures", "03_table1", SCALE))
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

notes = nsynth.load(subset="keyboard", items=experiments.SCALES[SCALE].items).audio
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
        f"{ratios[arch][c]:.2g} (paper {paper_ratios[arch][c]:.2g})" if arch in paper_ratios else f"{ratios[arch][c]:.2g}"
        for c in table.PAPER_COLUMNS) + " |")
display(Markdown("Each row ÷ silence, ours (paper):\n\n" + "\n".join(rows)))
assert 0.6 < implied < 0.8 and 0.75 < noise_stft[0.25] < 0.85
assert abs(noise_stft[0.5] / noise_stft[0.25] - 2) < 0.1  # proportional to σ

# %% [markdown]
# Read as ratios, the paper's decoders reach 1–14 % of silence's MSE and 25–88 % of its
# multi-STFT distance. At our CPU scale (the paper's models, 32 notes, 200 steps) they are far
# from that: the TCNN sits exactly at silence on every metric but CDPAM (it is still on the
# silence plateau), the plain PCINR reaches 91 % (diverse) and 41 % (keyboard) of silence's MSE, Wide
# and ours about half or less. On multi-STFT no decoder clearly beats silence, and the plain PCINR and WR are worse
# than silence on the diverse set (its noise costs more spectral distance than silence does).

# %%
paper_rows = [a for a in table.ARCHS if a in table.PAPER]
assert max(paper_ratios[a][f"mse {s}"] for a in paper_rows for s in nsynth.SETS) < 0.15  # the paper's
found_ratios = claims.check("03_ratios", claims.ratios(ratios, ours, nsynth.SETS, paper_rows), SCALE)

# %% [markdown]
# ## Which of the paper's findings hold at this scale
# A finding compares two rows; it is judged by the 95 % paired per-note bootstrap interval of
# their difference (the same notes for both rows, each row's seeds resampled on its own:
# `cinr_lab.claims.paired_ci`), not by the means, and it is **n/a** when a run it compares is on
# the silence plateau (MSE at least 0.9 × silence's): such a run has not learned its notes, and a
# win against it says nothing about the architectures.

# %%
found = claims.check("03_findings", table.findings(records), SCALE)

# %% [markdown]
# At the study scale (32 notes per set, 200 steps, 3 seeds; the embedded stand-in) **no finding can
# be judged**. The TCNN is on the silence plateau on both sets (MSE 1.00 × silence's: it has not
# left silence in 200 steps), and so is the plain PCINR on the diverse set (seed 1 at 1.15 ×
# silence's), so every comparison with them is n/a; the comparisons between PCINRs that did learn
# (Wide, WR, ours against the plain PCINR on the keyboard set) need per-note values, which the
# study's records, written before cinr_lab kept them, do not hold. The means in the table above
# are what the study measured; they are no verdict. The `fit` scale (below) trains every model
# until it has learned its notes, and judges the findings there.
#
# cinr_lab 0.1's table (its own models and recipe, 8 notes per set, archived in `results/v0/`)
# kept no per-note values either; its means are in `results/v0/table1.md`.

# %% [markdown]
# ## The `fit` scale: Table 1 on models that have learned their notes
# `cinr-lab table --scale fit --seeds 3 --jobs 2 --out results/fit` trains every row on 16 notes
# per set (every note in every step) until it has learned its notes: the PCINRs 2,000 steps at
# the paper's rate (1e-5, the best of a short sweep, `results/fit_sweep_pcinr_keyboard.md`), the
# TCNN at 3e-4 (its sweep: `results/fit_sweep_tcnn_keyboard.md`) for 8,000 steps, since it learns
# more slowly; a TCNN step costs about 0.6 of a PCINR step on the 2-core machine, so its step 3,500
# is a PCINR's 2,000 in compute. The table is given **as trained**, at **equal compute** (the TCNN
# read at its step-3,500 snapshot) and at **equal steps** (at step 2,000), with the findings
# judged in each. The build takes many hours on 2
# cores and runs across sessions; this reads the records it has so far (`cinr-lab table --scale
# fit --out results/fit --report` wrote the table from them).

# %%
import numpy as np

from cinr_lab import checks

fit = [r for r in checks.read_jsonl(Path(RESULTS) / "fit" / "runs.jsonl") if r["scale"] == "fit"]
done = {(r["set"], r["arch"]) for r in fit}
print(f"{len(fit)} records at the fit scale; seeds {sorted({r['seed'] for r in fit})}")
for s in nsynth.SETS:
    rows = [a for a in table.ARCHS if (s, a) in done]
    print(f"{s}: " + (", ".join(
        f"{a} {np.mean([r['snr'] for r in fit if r['set'] == s and r['arch'] == a]):.1f} dB "
        f"({len([r for r in fit if r['set'] == s and r['arch'] == a])} seeds)" for a in rows) or "nothing yet"))
display(Markdown((Path(RESULTS) / "fit" / "table1.md").read_text()))

# %% [markdown]
# Three seeds of every row on both sets:
#
# * **The PCINRs learn their notes** (16.0 / 15.9 dB mean per-note SNR, diverse / keyboard, over
#   three seeds: 17.2, 15.6, 15.3 and 16.0, 16.1, 15.6 dB; Wide 17.7 / 15.6 dB over three seeds (18.0, 17.3, 17.7 and 15.7, 15.5, 15.8); ours 17.5 / 16.5 dB
#   at its 4,000 steps over three seeds: 17.7, 16.9, 17.8 and 16.9, 16.5, 16.2 dB). **The TCNN does not reach 15 dB** in four times a PCINR's steps (12.9 /
#   12.4 dB at step 8,000; its three diverse seeds 10.7, 13.8 and 14.2 dB, its keyboard seeds
#   11.9, 13.9 and 11.3 dB). What limits it on the diverse set is notes it never leaves silence on: two
#   or three of its sixteen below 1 dB in every seed, and seed 1's MSE flat from step 3,500 to
#   8,000 (0.66); on the keyboard set it is still rising (seed 1: 11.2 dB at
#   step 3,500, 13.9 at 8,000; seed 0's curve is in notebook 04). **Nor does WR** reach it (10.7 /
#   7.1 dB over three seeds, 7.4, 12.2, 12.5 and 9.0, 9.9, 2.4 dB: the paper code's weight decay
#   1.0 holds its fit down, and one keyboard seed ends far below the others; notebook 04 has seed
#   0's curve).
# * **PCINRs beat the TCNN on MSE on both sets: reproduced as trained, at equal compute and at
#   equal steps** (at equal compute the diverse interval held zero with two TCNN seeds, MSE −1.2
#   [−3.3, +0.01]; with the third it is −1.0 [−2.5, −0.13]).
# * **On the keyboard set the plain PCINR loses to the TCNN on CDPAM: not reproduced** as trained,
#   at equal compute and at equal steps (as trained TCNN − PCINR +0.15 [+0.03, +0.30]; with two
#   TCNN seeds the interval held zero, +0.10 [−0.01, +0.21]; the third seed, 11.3 dB, moved it).
#   **On multi-STFT: not reproduced at equal compute and equal steps; n/a as trained**, where the
#   interval holds zero (+0.0008 [−0.0005, +0.0023]): given four times a PCINR's steps the
#   keyboard TCNN draws level there.
# * **On the keyboard set Wide or WR improves on the plain PCINR (CDPAM, multi-STFT): n/a** —
#   Wide's intervals hold zero (level with the PCINR), and WR is worse on both, having not learned
#   its notes.
# * **Recipe 'ours' beats the paper's at equal wall time on MSE on both sets: n/a** over ours' three
#   seeds (ours − PCINR −0.09 [−0.20, +0.02] diverse, −0.02 [−0.05, +0.01] keyboard); its first
#   seed alone had both intervals below zero; three seeds resolve no difference either way.
