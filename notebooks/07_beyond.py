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

from cinr_lab import analysis, beyond, checks, claims, experiments, metrics, models, nsynth, plots
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
def examples(s, root=RESULTS, variants=VARIANTS):
    folder = beyond.examples_path(root, s, "truth")
    names = sorted(p.stem for p in folder.glob("*.wav"))
    def read(v):
        return np.stack([soundfile.read(beyond.examples_path(root, s, v) / f"{n}.wav", dtype="float32")[0] for n in names])
    return names, read("truth"), {v: read(v) for v in variants}


def players(s, root=RESULTS, variants=VARIANTS):
    names, truth, recons = examples(s, root, variants)
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
# "Fits better" is judged as Table 1's findings are where every run kept its notes' SNR (the
# `fit` scale's records): by the paired per-note bootstrap interval of the SNR difference
# (`cinr_lab.claims.paired_ci`; yes above zero, no below, *n/a* holding it). The study scale's
# records keep means only, so there it is judged seed by seed: it holds when every seed of the
# variant beats every seed of the PCINR, fails when every PCINR seed beats every one of the
# variant's, and is *n/a* when the seeds overlap (the means alone would turn 0.1 dB into a
# verdict; the PCINR's own three seeds span 1.2 dB on the diverse set and 1.8 dB on the keyboard
# set). Each verdict's numbers say which rule judged it.
#
# **No verdict on a run that has not learned.** A run whose MSE is at least 0.9 × silence's is on
# the silence plateau (`cinr_lab.claims.PLATEAU`): whether it hisses, muffles or fits better says
# nothing about its architecture, since an untrained model's high band is its initialisation's
# (an untrained FINER already adds +0.35 % to +9.9 % per note; an untrained PCINR about 0). Such
# verdicts print **n/a (on the silence plateau: …)**, naming the worst seed.
#
# What the committed study-scale results say (**three seeds per variant**; 32 notes per set,
# 200 steps of the paper's recipe: early training, see notebook 02):
#
# * **Most of the study is on the plateau.** On the diverse set the plain PCINR (seed 1 at 1.15 ×
#   silence's MSE), WR 0.1, WR 10, FINER, Shift-only, Gaussian and both BACONs have not left it, so
#   no diverse variant can be said to fit better than the PCINR, and FINER's hiss there (and on
#   the keyboard set, where it is at 0.84–0.93 × silence's) is **not a finding**: it is the
#   high band FINER starts with. The earlier reading "FINER hisses, as the mechanism predicts"
#   was withdrawn until FINER was measured fitted; fitted (the `fit` scale, the last section
#   below), FINER does hiss, but from its initialisation, not from fitting.
# * **Among the runs that learned, none hisses**: Wide, WR 1.0 and Parallel on both sets, and the
#   PCINR, WR 0.1, Shift-only and Gaussian on the keyboard set, add no energy above 4 kHz; all of
#   them but WR 1.0 on the diverse set muffle.
# * **Wide and Parallel fit better than the PCINR on the keyboard set** (every seed above every
#   PCINR seed: Wide +3.1 dB, Parallel +3.0 dB mean per-note SNR). Parallel has the best
#   multi-STFT of all variants on both sets (0.0263 / 0.0160 against Wide's 0.0274 / 0.0170);
#   Wide the better CDPAM (0.742 / 0.701 against 0.800 / 0.785).
# * **Weight regularisation** at 0.1 and 1.0 leaves the keyboard fit within the PCINR's seed
#   spread; WR 10 muffles and is on the plateau on the diverse set and on one keyboard seed.
# * **BACON** cannot hiss above 8 kHz by construction (tested in `tests/test_beyond.py`), but in
#   200 steps it has not left the plateau at either rate (at 1e-4 one diverse seed diverged, loss
#   inf at step 88): no verdict on band-limiting at this scale.
# * **The goal is not met**: no variant removes the hiss *and* beats both the PCINR and Wide on
#   SNR, multi-STFT and CDPAM on both sets — and at this scale the PCINR it should beat has not
#   learned the diverse set.

# %%
silence = {s: float(metrics.mse(notes, 0 * notes).mean())
           for s in SETS for notes in [nsynth.load(None, subset=s, items=experiments.SCALES[SCALE].items).audio]}
stuck = beyond.plateau(records, silence)  # runs that have not left the silence plateau: no verdict
print("on the silence plateau:", {s: [v for v, why in rows.items() if why] for s, rows in stuck.items()})
found = claims.check("07", beyond.verdicts(records, SETS, truth_own, silence, diverged), SCALE)

# %% [markdown]
# ## The variants fitted (the `fit` scale)
# Everything above is the study scale, where most runs have not left the silence plateau. The
# `fit` scale trains each variant until it has learned its notes (16 notes per set, 2,000 steps
# of every note, the paper's recipe; notebook 03 and `cinr_lab.experiments.SCALES["fit"]`):
# `cinr-lab beyond --scale fit --out results/fit --rows "FINER,Parallel (4 × depth 3)"` trains
# the variants the issue names beyond the paper's three, whose records it adopts from the fit
# scale's Table 1 (the same runs, not retrains). Each run is measured at its initialisation, at
# snapshots and at its end (`cinr_lab.analysis.along_training`), so the hiss is read along
# training as in notebook 04: the **error between the harmonics above 4 kHz**, which added noise
# and missing partials cannot cancel, beside the HF excess, which they can. The other variants
# (WR 0.1 / 10, Shift-only, Gaussian, BACON) are not trained at this scale yet (what
# `results/fit/beyond.jsonl` holds is what the table below shows).

# %%
FIT = "fit"
fit_all = [r for r in checks.read_jsonl(Path(RESULTS) / "fit" / "beyond.jsonl") if r["scale"] == FIT]
fit_diverged = [r for r in fit_all if "diverged" in r]
fit_records = [r for r in fit_all if "diverged" not in r]
FIT_VARIANTS = [v for v in beyond.VARIANTS if any(r["variant"] == v for r in fit_records)]
FIT_SETS = [s for s in nsynth.SETS if any(r["set"] == s for r in fit_records)]
sticks = {s: analysis.yardsticks(d.audio, d.names)
          for s in FIT_SETS for d in [nsynth.load(None, subset=s, items=experiments.SCALES[FIT].items)]}
fit_table = beyond.summary(fit_records, FIT_SETS)
for s in FIT_SETS:
    print(f"\n{s}: the notes' own energy above 4 kHz {100 * sticks[s]['own']:.3f} %, between their harmonics "
          f"there {100 * sticks[s]['between']:.4f} %")
    print(f"{'variant':24s} {'seeds':>5s} {'SNR dB':>14s} {'Multi-STFT':>16s} {'CDPAM':>14s} {'HF excess %':>16s} "
          f"{'between (× own)':>16s}")
    for v in FIT_VARIANTS:
        mine = [r for r in fit_records if r["set"] == s and r["variant"] == v]
        if not mine:
            continue
        cells = [fit_table[v][f"{m} {s}"] for m in ("snr", "multi_stft", "cdpam", "hf_excess")]
        shown = [f"{c[0] * k:.3g} ± {c[1] * k:.2g}" for c, k in zip(cells, (1, 1, 1, 100))]
        between = np.mean([r["training"][-1]["between_hf"] / sticks[s]["between"] for r in mine])
        print(f"{v:24s} {len(mine):>5d} " + " ".join(f"{x:>14s}" for x in shown) + f" {between:>16.1f}")

# %%
fit_own = {s: sticks[s]["own"] for s in FIT_SETS}
fit_silence = {s: sticks[s]["silence"] for s in FIT_SETS}
fit_found = claims.check("07_fit", beyond.verdicts(fit_records, FIT_SETS, fit_own, fit_silence, fit_diverged), FIT)

# %% [markdown]
# The same runs along training (seed 0 of each variant): the fit, the error between the
# harmonics above 4 kHz against the step, and against the fit reached (hiss at equal fit).

# %%
fit_curves = {s: {r["variant"]: r["training"] for r in fit_records
                  if r["set"] == s and r["seed"] == 0 and "training" in r} for s in FIT_SETS}  # fmt: skip
fig, axes = plt.subplots(len(FIT_SETS), 3, figsize=(17, 3.9 * len(FIT_SETS)), squeeze=False)
for row, s in zip(axes, FIT_SETS):
    plots.along_training(fit_curves[s], "snr", row[0], "mean per-note SNR (dB)", f"{s}: fit")
    row[0].axhline(claims.FITTED_DB, color="k", ls="--", lw=0.8, label=f"{claims.FITTED_DB:g} dB: fitted")
    plots.along_training(fit_curves[s], lambda p: 100 * p["between_hf"], row[1], "% of the note's energy",
                         f"{s}: error between the harmonics, above 4 kHz")
    for v, points in fit_curves[s].items():
        row[2].plot([p["snr"] for p in points], [100 * p["between_hf"] for p in points], marker="o", ms=3, label=v)
    row[2].set(xlabel="mean per-note SNR (dB)", ylabel="% of the note's energy", title=f"{s}: the same, against the fit")
    for ax in row[1:]:
        ax.set_yscale("log")
        ax.axhline(100 * sticks[s]["between"], color="k", ls=":", lw=0.8, label="the notes' own energy there")
        ax.grid(alpha=0.3, which="both")
    row[0].legend(fontsize=8)
    row[2].legend(fontsize=8)
fig.tight_layout()
plots.save(fig, "../figures/07_fit_along_training.png")
plt.show()

# %%
fit_between = {s: sticks[s]["between"] for s in FIT_SETS}
fit_along = claims.check("07_fit_along", claims.along(fit_curves, fit_own, fit_silence, fit_between), FIT)

# %% [markdown]
# Within a run, density, hiss and fit all grow with the step, so one run cannot tell them apart.
# Across the variants it can: at the end of training, do the variants with denser last layers
# leave more error between the harmonics? (First over the variants that learned their notes,
# then over all; an unfitted variant has had less time to add hiss.)

# %%
for s in FIT_SETS:
    ends = sorted(((v, c[-1]) for v, c in fit_curves[s].items() if c[-1].get("density") is not None),
                  key=lambda e: e[1]["density"][-1])
    print(f"{s}: " + "; ".join(f"{v} {e['density'][-1]:,.0f} per unit of t, {e['between_hf'] / sticks[s]['between']:.1f}× "
                              f"({e['snr']:.1f} dB)" for v, e in ends))
fit_across = claims.check("07_fit_across", claims.across(fit_curves), FIT)

# %% [markdown]
# That is one run per variant. The same question over **every seed of every variant**, each run
# ranked on its own (three seeds of the PCINR, Wide and WR; FINER's and Parallel's as far as the
# build has trained them): seeds of a variant scatter in fit and in hiss, and a ranking that held
# only for seed 0 would not survive it. Hollow markers: runs that have not learned their notes
# (below 15 dB).

# %%
fit_runs = {s: {f"{r['variant']} seed {r['seed']}": r["training"] for r in fit_records
                if r["set"] == s and "training" in r} for s in FIT_SETS}  # fmt: skip
fig, axes = plt.subplots(1, len(FIT_SETS), figsize=(7.5 * len(FIT_SETS), 4.8), squeeze=False)
for ax, s in zip(axes[0], FIT_SETS):
    for i, v in enumerate(FIT_VARIANTS):
        ends = [p[-1] for k, p in fit_runs[s].items()
                if k.rsplit(" seed ", 1)[0] == v and p[-1].get("density") is not None]  # fmt: skip
        for fitted in (True, False):
            mine = [e for e in ends if (e["snr"] >= claims.FITTED_DB) == fitted]
            if mine:
                ax.scatter([e["density"][-1] for e in mine], [e["between_hf"] / sticks[s]["between"] for e in mine],
                           s=45, edgecolors=f"C{i}", facecolors=f"C{i}" if fitted else "none",
                           label=v if fitted or not any(e["snr"] >= claims.FITTED_DB for e in ends) else None)
    ax.axhline(1, color="k", ls=":", lw=0.8, label="the notes' own")
    ax.set(xscale="log", yscale="log", xlabel="last-layer stationary points per unit of t, at the end",
           ylabel="error between the harmonics above 4 kHz (× the notes' own)", title=f"{s}: every run at step 2,000")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
fig.tight_layout()
plots.save(fig, "../figures/07_fit_density_vs_hiss.png")
plt.show()
fit_across_runs = claims.check("07_fit_across_runs", claims.across(fit_runs, of="run"), FIT)

# %% [markdown]
# Listen to them: the same three notes per set from each fitted variant (seed 0), the truth first.
# The hiss, where there is any, is the faint wash above the decaying partials.

# %%
for s in FIT_SETS:
    print(s)
    display(players(s, Path(RESULTS) / "fit", FIT_VARIANTS))

# %% [markdown]
# What the fit scale says (three seeds of every variant trained at it, the curves above seed 0's;
# 16 notes per set, 2,000 steps; `results/fit/beyond.md`):
#
# * **The PCINR and Wide learn their notes and add energy between the harmonics as they fit**
#   (PCINR 14.4× / 18.2× the notes' own above 4 kHz, keyboard / diverse, over its three seeds;
#   Wide 8.0× / 7.2×, over its three), rising at every snapshot with the last layer's density: the hiss of
#   notebook 04, read on 07's records.
# * **Parallel (4 × depth 3) fits the diverse set without it** (three seeds, within 0.25 dB of
#   each other): 16.7 dB (16.65, 16.59, 16.83), level with the PCINR (+0.66 dB [−1.19, +2.71]
#   paired by note: "fits better" is n/a), with its error between the harmonics at the notes' own
#   level (0.9–1.0×) at every snapshot of every seed, and a multi-STFT level with Wide's (0.00572
#   against 0.00575; PCINR 0.0071). On the keyboard set it **has not learned its notes in 2,000
#   steps** (12.1 dB: 12.09, 12.25, 12.02, still rising; −3.8 dB [−4.4, −3.2] against the
#   PCINR): flat at the notes' own level up to step 1,000 (9.8–10.0 dB), its error between the
#   harmonics then climbs in 2 dB of fit, to 4.2×, 2.9× and 6.0× the notes' own (0.027 %,
#   0.019 % and 0.039 % of the note's energy) — still below the PCINR's at the same fit (about
#   0.06 % at 12 dB, the right-hand panel), but rising far faster: whether it passes the PCINR's
#   before it has learned the notes is open. Both sets read "muffles" on net HF excess: it misses
#   part of the partials.
# * **FINER hisses, from its first step** (three seeds). Its last layer has three times the
#   PCINR's stationary points at initialisation (5,000–5,180 per unit of `t`, against 1,680) and
#   2.1–2.5 times at step 2,000 (4,625–5,660, against 2,095 / 2,460 diverse / keyboard), and it
#   ends with by far the most error between the harmonics above 4 kHz: 104× (diverse) and 83×
#   (keyboard) the notes' own over its three seeds (114, 94 and 104×; 101, 69 and 79×), about six
#   times the PCINR's (18× / 14×). Unlike the PCINR's, FINER's is there before it has learned
#   anything (1.4–5.2 % of the note's energy at initialisation) and training takes most of it
#   away (on the diverse set 84–87 % of it from step 0 to 2,000), so within a run it does not
#   follow the density (seed 0: ρ −0.20 / 0.09); across models it does: Wide, the PCINR and FINER
#   rank alike in last-layer density and in hiss on both sets. It learns the diverse set in all
#   three seeds (15.3, 15.3 and 15.5 dB; −0.66 dB [−2.46, +1.06] against the PCINR, so "fits
#   better" is n/a) and the keyboard set in one of three in 2,000 steps (11.4, 15.3 and 13.1 dB;
#   −2.7 dB [−4.8, −0.6]).
# * **Across the variants, the hiss ranks with the stationary points, seed after seed.** At the
#   end of training seed 0's five variants rank identically in last-layer density and in error
#   between the harmonics on both sets (Spearman ρ = 1): Parallel (1,128 / 1,379 per unit of
#   `t`, diverse / keyboard) < WR < Wide < PCINR < FINER (5,145 / 5,660), the hiss from 1.0× to
#   114× the notes' own. Over every seed, each run ranked on its own (15 runs per set), it holds
#   too: ρ = 0.99 diverse and 0.90 keyboard, and 0.98 / 0.93 over the runs that learned their
#   notes (12 / 7 runs; with seed 0 alone the keyboard set had two fitted variants, too few to
#   rank). The seeds of a variant sit together (the scatter above), so the ranking is carried by
#   the differences between variants, not by seed-to-seed spread. This is the comparison the
#   paper's explanation needs, and it comes out as the paper says — with fit left free (WR and
#   Parallel on the keyboard set learned less, and less fit means less added hiss) and the
#   architectures differing in more than their density, so it is a correlation across models,
#   not a proof that the stationary points make the hiss.
# * **WR does not learn its notes** (10.7 / 7.1 dB over three seeds, one keyboard seed at 2.4 dB;
#   its fit swinging between snapshots), and leaves less error between the harmonics for the fit
#   it reaches (2.6× / 4.7× the notes' own above 4 kHz, diverse / keyboard, over its three seeds).
# * **The goal is not met** at this scale either: no variant removes the hiss *and* beats both
#   the PCINR and Wide on SNR, multi-STFT and CDPAM on both sets. Three seeds of every
#   variant here; "fits better" by the paired per-note interval, as in Table 1 (judged seed by
#   seed, the rule the study scale uses, no verdict would differ); the hiss and muffle verdicts
#   are on means. The other variants (WR 0.1 / 10, Shift-only, Gaussian, BACON) are still
#   to be trained at this scale.
