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
# # 07 · Beyond the paper: fixes for the hiss, side by side
#
# The paper blames the PCINR's high-frequency noise on the dense stationary points of
# `sin(ω·x)` with large ω, and ends by suggesting — without testing — that *parallel
# sub-networks* could counter it. Since 2021 the INR field has proposed several fixes for the same
# trade-off between expressiveness and high-frequency noise. Here they are, each at the PCINR's
# size (±5 % parameters), trained with the paper's recipe on the same notes as Table 1:
#
# | variant | what changes (preset) |
# | --- | --- |
# | PCINR | the paper's: 8 weight-normalised FiLM-sine layers × 256 (`pcinr`) |
# | PCINR Wide | the paper's lever: 4 layers × 365 (`pcinr-wide`) |
# | WR 0.1 / PCINR WR / WR 10 | the paper's other lever: coupled L2 decay 0.1 / 1.0 (its README's) / 10 |
# | FINER | `sin((|x|+1)·x)` (Liu et al., CVPR 2024) (`pcinr-finer`) |
# | Shift-only (functa) | phase shifts only, from a linear map of z (Dupont et al., ICML 2022) (`pcinr-shift`) |
# | Parallel (4 × depth 3) | the paper's suggestion: 4 shallow FiLM-SIRENs, mixed by a linear layer (`pcinr-parallel`) |
# | Gaussian | Gaussian hidden layers, one stationary point per unit (Ramasinghe & Lucey, 2022) (`pcinr-gauss`) |
# | Band-limited (BACON) | a multiplicative filter network whose spectrum stops at 8 kHz (Lindell et al., CVPR 2022) (`bacon`) |
# | BACON, lr 1e-4 | the same at ten times the decoder's learning rate (the paper code's TCNN rate) |
#
# Everything here comes from the committed results of `cinr-lab beyond` (`results/beyond.jsonl`:
# one record per run with its metrics and per-layer stationary-point density;
# `results/beyond_audio/`: seed 0's reconstructions of three notes per set), so this notebook
# trains nothing. To run the comparison at another scale, run
# `cinr-lab beyond --scale paper` (a GPU) and set `SCALE = "paper"` below.

# %% tags=["parameters"]
SCALE = None  # None: $CINR_SCALE, else "study" (32 notes per set, 200 steps); "paper": GPU results
RESULTS = "../results"

# %%
import base64
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import soundfile
from IPython.display import HTML, display

from cinr_lab import analysis, beyond, checks, claims, experiments, models, nsynth, plots
from cinr_lab.audio import wav_bytes

SCALE = experiments.scale_name(SCALE)
records = [r for r in checks.read_jsonl(Path(RESULTS) / "beyond.jsonl") if r["scale"] == SCALE]
assert records, f"no beyond results at scale {SCALE!r}: run cinr-lab beyond --scale {SCALE}"
diverged = [r for r in records if "diverged" in r]  # a run whose loss became inf or NaN: no metrics
records = [r for r in records if "diverged" not in r]
for r in diverged:
    print(f"diverged, left out of everything below: {r['set']} {r['variant']} seed {r['seed']} ({r['diverged']})")
VARIANTS = [v for v in beyond.VARIANTS if any(r["variant"] == v for r in records)]
SETS = [s for s in nsynth.SETS if any(r["set"] == s for r in records)]
seeds = {s: {v: sorted(r["seed"] for r in records if r["set"] == s and r["variant"] == v)
             for v in VARIANTS} for s in SETS}  # fmt: skip
for s in SETS:
    print(s, {v: len(k) for v, k in seeds[s].items()}, "seeds")

# %% [markdown]
# ## Equal size
# Every variant is within 5 % of the PCINR's parameters (mapping network included), so a
# difference below is the architecture's, not its size's.

# %%
sizes = {v: models.parameter_counts(models.build(models.PRESETS[beyond.VARIANTS[v].model]))
         for v in VARIANTS}  # fmt: skip
for v, n in sizes.items():
    print(f"{v:24s} {n['total']:>9,}  ({n['total'] / sizes['PCINR']['total'] - 1:+.1%})")
    assert abs(n["total"] / sizes["PCINR"]["total"] - 1) <= 0.05

# %% [markdown]
# ## The numbers
# Mean ± std over seeds: per-note SNR (dB, higher is better), MSE, multi-resolution STFT error and
# CDPAM (lower is better), and the **HF excess**: the median over notes of a reconstruction's
# energy above 4 kHz beyond the truth's, as a share of the note's energy (> 0: hiss, < 0: the
# model misses some of the note's own high partials, i.e. it muffles). The notes' own share
# above 4 kHz is printed for scale.

# %%
table = beyond.summary(records, SETS)
truth_own = {}
for s in SETS:
    notes = nsynth.load(None, subset=s, items=experiments.SCALES[SCALE].items).audio
    truth_own[s] = float(np.median(analysis.energy_above(notes, 16000, analysis.HF_CUTOFF)))
for s in SETS:
    print(f"\n{s} (the notes' own median energy above 4 kHz: {100 * truth_own[s]:.3f} %)")
    print(f"{'variant':24s} {'SNR dB':>14s} {'MSE':>14s} {'Multi-STFT':>16s} {'CDPAM':>14s} {'HF excess %':>16s}")
    for v in VARIANTS:
        cells = [table[v].get(f"{m} {s}") for m in beyond.MEASURES]
        shown = [f"{c[0] * (100 if m == 'hf_excess' else 1):.3g} ± {c[1] * (100 if m == 'hf_excess' else 1):.2g}"
                 if c else "—" for m, c in zip(beyond.MEASURES, cells)]  # fmt: skip
        print(f"{v:24s} " + " ".join(f"{x:>14s}" for x in shown))

# %% [markdown]
# ## One figure: hiss against fit
# One point per variant and seed: the median HF excess (up is hiss, down is muffle; the dashed
# line is the truth, no excess; the dotted one a model that makes nothing above 4 kHz) against the
# mean per-note SNR (right is a better fit). The goal is on or just below the dashed line, far
# right: no hiss, a better fit than the PCINR and Wide.

# %%
markers = "os^vD<>pP*Xh"
fig, axes = plt.subplots(1, len(SETS), figsize=(6.2 * len(SETS), 4.6), layout="constrained", squeeze=False)
for ax, s in zip(axes[0], SETS):
    for k, v in enumerate(VARIANTS):
        mine = [r for r in records if r["set"] == s and r["variant"] == v]
        ax.scatter([r["snr"] for r in mine], [100 * r["hf_excess"] for r in mine],
                   marker=markers[k % len(markers)], s=46, label=v)  # fmt: skip
    ax.axhline(0, color="k", ls="--", lw=0.8, label="the truth's (no excess)")
    ax.axhline(-100 * truth_own[s], color="k", ls=":", lw=0.8, label="nothing above 4 kHz")
    ax.set_title(f"{s} ({SCALE} scale)")
    ax.set_xlabel("mean per-note SNR (dB)")
    ax.set_ylabel("median excess energy above 4 kHz (% of note energy)")
    ax.grid(alpha=0.3)
axes[0, -1].legend(fontsize=8, loc="best")
plots.save(fig, experiments.figure_path("../figures", "07_beyond_summary", SCALE))
plt.show()

# %% [markdown]
# ## Stationary points per layer
# The paper's mechanism: dense stationary points in the deep layers. Each line is the mean density
# of a variant's units per layer (seed 0's first note, counted through the model's own layers by
# `analysis.stationary_points`, in stationary points per unit of `t`; a one-second clip spans 2).
# The Parallel variant has 3 layers per branch; its line is the mean over branches.

# %%
fig, axes = plt.subplots(1, len(SETS), figsize=(6.2 * len(SETS), 4), layout="constrained", squeeze=False)
for ax, s in zip(axes[0], SETS):
    for k, v in enumerate(VARIANTS):
        density = next(r["density"] for r in records if r["set"] == s and r["variant"] == v and r["seed"] == min(seeds[s][v]))
        ax.plot(range(1, len(density) + 1), density, marker=markers[k % len(markers)], label=v)
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("stationary points per unit of t (mean over units)")
    ax.set_title(s)
    ax.grid(alpha=0.3)
axes[0, -1].legend(fontsize=8)
plots.save(fig, experiments.figure_path("../figures", "07_density_layers", SCALE))
plt.show()

# %% [markdown]
# ## Listen and look
# The same three notes from every variant (seed 0), then their spectrograms with the truth on one
# colour scale (0 dBFS down to −80 dB). Each row of players is a variant; each column a note.


# %%
def examples(s):
    folder = beyond.examples_path(RESULTS, s, "truth")
    names = sorted(p.stem for p in folder.glob("*.wav"))
    def read(v):
        return np.stack([soundfile.read(beyond.examples_path(RESULTS, s, v) / f"{n}.wav", dtype="float32")[0] for n in names])
    return names, read("truth"), {v: read(v) for v in VARIANTS}


def players(s):
    names, truth, recons = examples(s)
    rows = [("truth", truth)] + list(recons.items())
    html = ["<table><tr><th></th>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"]
    for label, waves in rows:
        cells = "".join(
            f'<td><audio controls preload="none" src="data:audio/wav;base64,'
            f'{base64.b64encode(wav_bytes(w)).decode()}"></audio></td>'
            for w in waves
        )
        html.append(f"<tr><th>{label}</th>{cells}</tr>")
    return HTML("".join(html) + "</table>")


display(players("keyboard"))

# %%
display(players("diverse"))

# %%
for s in SETS:
    names, truth, recons = examples(s)
    fig = plots.spectrogram_grid(truth[:1], {v: r[:1] for v, r in recons.items()}, names[:1])
    plots.save(fig, experiments.figure_path("../figures", f"07_spectrograms_{s}", SCALE))
    plt.show()

# %% [markdown]
# ## Verdicts
# Per set and variant: does it **hiss** (median excess over 10 % of the notes' own energy above
# 4 kHz, as notebook 04), **muffle** (below minus half of it), **fit** better than the paper's
# PCINR (mean per-note SNR); and the goal: a variant that removes the hiss (excess at or below
# the truth's) *and* beats both PCINR and Wide on SNR, multi-STFT and CDPAM on both sets. At the
# study scale the answers are checked against what the committed results found.
#
# "Fits better" is judged seed by seed: it holds when every seed of the variant beats every seed
# of the PCINR, fails when every PCINR seed beats every one of the variant's, and is *n/a* when the
# seeds overlap (the means alone would turn 0.1 dB into a verdict; the PCINR's own three seeds
# span 1.2 dB on the diverse set and 1.8 dB on the keyboard set).
#
# What the committed study-scale results say (**three seeds per variant**; 32 notes per set,
# 200 steps of the paper's recipe: early training, see notebook 02):
#
# * **The paper's PCINR does not hiss at this budget** (notebook 04): it muffles on the keyboard
#   set and adds nothing measurable on the diverse set. So "removes the hiss" can only be judged
#   against the variants that do add some, and there is one:
# * **FINER hisses, on both sets, on every seed** (+0.35 ± 0.03 % of the note's energy above
#   4 kHz on the diverse set, where the notes hold 0.03 %; +0.26 ± 0.05 % on the keyboard set),
#   and fits worse than the PCINR on the keyboard set (every seed; on the diverse set the seeds
#   overlap). Its units have 2.2–2.8× the PCINR's stationary points in every layer: the one
#   variant with the densest stationary points is the one that adds high-frequency energy —
#   what the paper's mechanism predicts, at this scale.
# * **Two variants fit clearly better than the PCINR, on both sets and every seed: Wide and
#   Parallel sub-networks (the paper's suggestion).** Wide: +2.8 / +3.1 dB mean per-note SNR on
#   the diverse / keyboard set; Parallel: +2.3 / +3.0 dB, with the best multi-STFT of all
#   variants on both sets (0.0263 / 0.0160 against Wide's 0.0274 / 0.0170) and the lowest
#   last-layer density of the sine variants (three layers deep). Between the two, Wide is ahead
#   on SNR on the diverse set (1.63 against 1.10 dB, seeds apart) and level on the keyboard set
#   (seeds overlap), and ahead on CDPAM on both (0.742 / 0.701 against 0.800 / 0.785). Both
#   muffle: Parallel keeps almost nothing above 4 kHz on the keyboard set.
# * **Weight regularisation** at 0.1 and 1.0 leaves the high band where the PCINR has it (within
#   0.01 points of its excess) and the fit within the PCINR's seed spread; 10 muffles and costs
#   CDPAM (0.98 / 0.87 against the PCINR's 0.78 / 0.71): "no effect" to "muffled" within two
#   decades, never a clearly better fit.
# * **Gaussian hidden layers** do what the mechanism asks — their density stops growing after
#   layer 4 (about 950–1,000 per unit of `t`, against the PCINR's 1,900–2,300 in layer 8) — and
#   add no hiss; their fit is within the PCINR's seed spread on both sets, with a better
#   multi-STFT (0.0303 / 0.0210 against 0.0394 / 0.0229) and a worse keyboard CDPAM (0.86
#   against 0.71). Halving the deep layers' stationary points did not by itself buy a better fit.
# * **BACON** cannot hiss above 8 kHz by construction (tested in `tests/test_beyond.py`), but at the
#   paper's PCINR learning rate (1e-5) it has not left the silence plateau in 200 steps: its MSE
#   (41.8 / 16.7) is silence's (40.5 / 15.4) or worse, its CDPAM near silence's (1.24 / 1.33
#   against 1.30 / 1.44). At ten times the rate (`BACON, lr 1e-4`, the paper code's TCNN rate;
#   the one change) it starts to leave the plateau (MSE 38.5 / 11.8) and beats the PCINR on every
#   diverse seed, where the PCINR's mean per-note SNR is itself below silence's 0 dB — but one of
#   its three diverse seeds diverged (loss inf at step 88). Not yet a verdict on band-limiting:
#   BACON needs a recipe of its own.
# * **Shift-only modulation (functa)** muffles on both sets; its fit is within the PCINR's seed
#   spread, lower on average (−0.85 against 0.65 dB on the keyboard set).
# * **The goal is not met**: no variant removes the hiss *and* beats both the PCINR and Wide on
#   SNR, multi-STFT and CDPAM on both sets. The closest, Parallel, beats both on multi-STFT and
#   the PCINR on SNR, but trails Wide on CDPAM everywhere and on SNR on the diverse set.

# %%
means = {s: {v: {m: table[v][f"{m} {s}"][0] for m in beyond.MEASURES} for v in VARIANTS} for s in SETS}
snr_seeds = {s: {v: [r["snr"] for r in records if r["set"] == s and r["variant"] == v] for v in VARIANTS}
             for s in SETS}  # fmt: skip
found = claims.check("07", claims.beyond(means, truth_own, diverged=diverged, snr_seeds=snr_seeds), SCALE)
