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
# # 08 · Your own sound: fit a latent with the decoder frozen
#
# An auto-decoder has no encoder: a sound gets a latent by gradient descent on the latent alone,
# the trained network frozen (`cinr_lab.train.encode`, the same as `cinr-lab encode WAV --model
# NAME --out DIR`). This notebook does that with the shipped models on a sound none of them heard —
# a steel-drum note (General MIDI program 114, which stands in for no NSynth family of the
# embedded set; `cinr_lab/sounds/`, made by `tools/make_sounds.py`) — and measures how well a
# decoder fitted to 16 notes until it learned them (and one trained on 64, less fitted)
# generalises: to that sound, to keyboard notes
# of the paper's set it was not trained on, and, as the ceiling, to its own training notes fitted
# again the same way.
# Then it shows where the new latents land among the trained ones and puts the sound in the
# explorer. Nothing is trained here but latents.
#
# To try a file of your own: set `SOUND` to its path (any rate, channel count and format that
# soundfile reads; it is mixed to mono, resampled to 16 kHz with soxr and cut or padded to 1 s).

# %% tags=["parameters"]
SOUND = None  # None: the shipped steel drum; or a path to a sound file of your own
MODEL = "pcinr-keyboard"  # the PCINR it fits with (or "pcinr-keyboard-64"); its TCNN sibling beside it
STEPS = 200  # Adam steps on the latent (cinr-lab encode: 300)
HELD_OUT = 6  # keyboard notes of the paper's set that neither shipped keyboard PCINR (16 or 64 notes) saw
REFIT = 2  # training notes fitted again from scratch (its best-reconstructed, then its median)

# %%
import copy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from cinr_lab import audio, metrics, nsynth, plots, pretrained, rendering, train, widgets
from cinr_lab.audio import play

torch.manual_seed(0)
path = pretrained.sound("steel_drums-060-100") if SOUND is None else SOUND
runs = {"PCINR": pretrained.load(MODEL), "TCNN": pretrained.load(MODEL.replace("pcinr", "tcnn"))}
run = runs["PCINR"]
samples = run.model_config.samples
sound = audio.read_any(path, audio.NSYNTH_RATE, samples)
print(f"{Path(path).name}: {samples} samples at 16 kHz as the models see it, peak {np.abs(sound).max():.2f}")


def fit(r, wave, seed=0):
    """The latent ``cinr-lab encode`` fits (its rate and coordinates; STEPS steps), and its render.

    Fitted on a float64 copy of the decoder: float32's rounding differs between CPUs (AVX2 and
    AVX-512 kernels sum in other orders), and Adam, stepping by the gradient's sign where the
    sound gives the latent little to go on, carries that difference into the second digit of
    what is printed here. In float64 the two agree to every digit printed (checked on one
    machine, forcing the AVX2 path: ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2)."""
    model = copy.deepcopy(r.model).double()
    z = train.encode(model, torch.from_numpy(wave).double(), STEPS, 1e-2, seed, r.train_config.coords)
    return z.float(), rendering.render(model, z[None])[0].numpy()


def snr(truth, estimate):
    return float(metrics.snr(truth[None], estimate[None])[0])


# %% [markdown]
# ## The new sound, fitted by both models

# %%
fitted = {name: fit(r, sound) for name, r in runs.items()}
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
plots.specplot(sound, ax=axes[0], title="the sound")
for ax, (name, (z, wave)) in zip(axes[1:], fitted.items()):
    plots.specplot(wave, ax=ax, title=f"{name} fit: SNR {snr(sound, wave):.1f} dB")
fig.tight_layout()
plots.save(fig, "../figures/08_your_sound.png")
plt.show()
for name, (z, wave) in fitted.items():
    print(f"{name}: SNR {snr(sound, wave):.2f} dB, multi-STFT {metrics.multi_stft_mse(sound[None], wave[None])[0]:.4f}")

# %% tags=["nbval-ignore-output"]
print("the sound:")
display(play(sound))
for name, (z, wave) in fitted.items():
    print(f"{name}'s fit:")
    display(play(wave))

# %% [markdown]
# ## How far does a decoder fitted to its training notes reach?
# The same fit for notes the PCINR never saw (keyboard notes of the paper's set, spread over its
# 1024, that neither this decoder nor the 64-note one of the next section was trained on),
# against what training reached on its own notes; and, as a check on the fit itself, its best-
# and median-reconstructed training notes fitted again from scratch (does the fit find latents
# as good as training's?). SNR per note; silence scores 0 dB.

# %%
keyboard = list(nsynth.paper_subset("keyboard"))
many = pretrained.load("pcinr-keyboard-64")
neither = [n for n in keyboard if n not in many.notes and n not in run.notes]
held_out = [neither[int(i)] for i in np.linspace(0, len(neither) - 1, HELD_OUT + 2)[1:-1]]
held_audio = nsynth.load(subset=held_out, seconds=1.0).audio
truth = run.truth()
trained_snr = np.array([snr(t, e) for t, e in zip(truth, run.render().numpy())])
order = np.argsort(trained_snr)[::-1]
refit = [int(order[0]), int(order[len(order) // 2])][:REFIT]
rows = {
    "training notes, trained latents": list(trained_snr),
    "refitted notes, trained latents": list(trained_snr[refit]),
    "refitted notes, fitted again": [snr(truth[i], fit(run, truth[i])[1]) for i in refit],
}
held_fits = [fit(run, wave) for wave in held_audio]
rows["keyboard notes it never saw"] = [snr(w, e) for w, (_, e) in zip(held_audio, held_fits)]
rows["the steel drum"] = [snr(sound, fitted["PCINR"][1])]
for label, values in rows.items():
    print(f"{label:34s} {np.mean(values):6.2f} dB  (" + ", ".join(f"{v:.1f}" for v in values) + ")")
print("held out:", ", ".join(held_out), "| fitted again:", ", ".join(run.notes[i] for i in refit))

# %% [markdown]
# What that says (asserted below, for the shipped models at this scale): the fit itself works —
# fitted again from scratch, training notes come back nearly as well as with the latents training
# found (within a few dB of a note at 14–29 dB; 200 steps on the latent alone against 2,000
# steps of training). But a decoder fitted to its 16 notes hardly generalises: of six keyboard
# notes it never saw — the same family, the same set — one comes back well (11.6 dB), two at
# 2–4 dB and three at about the silence baseline (below 1 dB; mean 2.9 dB, against 16.0 dB on
# its training notes), and the steel drum at silence's level. The gap is the decoder's, not the
# fit's: it represents its training notes and little else (where the fitted latents land is a
# later section). Whether more notes change that is the next cell's question;
# what 1024 notes and the paper's training length do is one for the paper scale (a GPU;
# `cinr-lab encode --model` takes a model folder of your own).

# %%
mean = {label: float(np.mean(values)) for label, values in rows.items()}
if MODEL == "pcinr-keyboard" and SOUND is None:
    again, trained = (np.array(rows[f"refitted notes, {k}"]) for k in ("fitted again", "trained latents"))
    assert np.all(again > trained - 3.0) and again.min() > 10.0, "the fit works"
    unseen = np.array(rows["keyboard notes it never saw"])
    assert mean["keyboard notes it never saw"] < mean["training notes, trained latents"] - 10.0, "far below its own notes"
    assert sum(unseen < 1.0) >= len(unseen) // 2 and mean["the steel drum"] < 1.0, "half about silence"
    assert mean["training notes, trained latents"] > 15.0

# %% [markdown]
# ## And a decoder trained on 64 notes?
# The same measurement with the second shipped PCINR, `pcinr-keyboard-64` (64 keyboard notes,
# 2,000 steps of 16, less fitted: model card), beside the 16-note one on the same unseen notes (the
# keyboard notes above, which neither model saw; the 16-note decoder's fits are reused); then the
# steel drum.

# %%
reach = {}
for name, r in ((f"{len(run.notes)} notes, {run.step:,} steps", run), (f"{len(many.notes)} notes, {many.step:,} steps", many)):
    reach[name] = {
        "training notes, trained latents": [snr(t, e) for t, e in zip(r.truth(), r.render().numpy())],
        "keyboard notes neither saw": (rows["keyboard notes it never saw"] if r is run
                                       else [snr(w, fit(r, w)[1]) for w in held_audio]),
        "the steel drum": [snr(sound, fitted["PCINR"][1]) if r is run else snr(sound, fit(r, sound)[1])],
    }
    print(name)
    for label, values in reach[name].items():
        shown = ", ".join(f"{v:.1f}" for v in values[:8]) + (", ..." if len(values) > 8 else "")
        print(f"    {label:32s} {np.mean(values):6.2f} dB  ({shown})")

# %% [markdown]
# Four times the notes, with a quarter of the fit on them, do not change the answer here
# (asserted below, for the shipped models): on six keyboard notes neither model saw, the 16-note
# decoder reaches a mean per-note SNR of 2.9 dB and the 64-note one 3.2 dB. Both bring back one
# of the six well (`keyboard_synthetic_004-063-127`, 11.6 and 14.8 dB), a note or two more at
# 2–4 dB, and leave half or more near silence's level (below 1 dB). Six notes are few, and which six decides much: with the 32-note study
# models this notebook used before the fitted ones were shipped, a different six (every held-out
# list avoids both models' notes) put the 64-note decoder at 4.8 dB against 1.0. The steel drum,
# a sound unlike any training note, stays at silence's level for both (0.2 dB): neither decoder
# can say it.

# %%
if MODEL == "pcinr-keyboard" and SOUND is None:
    small, large = (reach[k]["keyboard notes neither saw"] for k in reach)
    assert abs(np.mean(large) - np.mean(small)) < 1.0, "level on the unseen notes"
    assert min(max(small), max(large)) > 10.0, "both bring back one unseen note well"
    assert min(sum(np.array(small) < 1.0), sum(np.array(large) < 1.0)) >= 3, "half near silence, for both"
    assert max(r["the steel drum"][0] for r in reach.values()) < 1.0, "the steel drum stays out of reach"

# %% [markdown]
# ## Where the new latents land
# The trained latents projected on their first two principal directions, with the fitted ones
# (never part of the table the directions come from) on the same axes; and each fitted latent's
# distance to its nearest trained latent, beside the distances between trained latents.

# %%
pca = widgets.latent_pca(run.latents, k=2)
project = lambda zs: (np.asarray(zs, np.float64) - pca.mean) @ pca.components.T  # noqa: E731
table = project(run.latents)
fig, ax = plt.subplots(figsize=(6.5, 5))
ax.scatter(*table.T, s=18, c="tab:gray", label=f"{len(run.notes)} trained latents")
ax.scatter(*project(torch.stack([z for z, _ in held_fits])).T, s=40, marker="s", c="tab:blue",
           label="unseen keyboard notes, fitted")
ax.scatter(*project(fitted["PCINR"][0][None]).T, s=120, marker="*", c="tab:red", label="the steel drum, fitted")
ax.set(xlabel=f"PC 1 ({pca.explained[0]:.0%} of the variance)", ylabel=f"PC 2 ({pca.explained[1]:.0%})",
       title=f"{MODEL}: latents on the table's first two directions")
ax.legend(fontsize=8)
fig.tight_layout()
plots.save(fig, "../figures/08_latents.png")
plt.show()
trained = run.latents.double()
between = torch.cdist(trained, trained) + torch.eye(len(trained)) * 1e9
nearest_trained = between.min(dim=1).values
new = torch.stack([z for z, _ in held_fits] + [fitted["PCINR"][0]]).double()
nearest_new = torch.cdist(new, trained).min(dim=1).values
spacing = float(nearest_trained.median())
ratio = nearest_new.numpy() / spacing
fits = np.array(rows["keyboard notes it never saw"] + rows["the steel drum"])
print(f"nearest trained latent, from a trained latent: median {spacing:.3f}; trained norms: median "
      f"{trained.norm(dim=1).median():.3f}")
print("fitted latents: nearest trained latent (× that median), norm, fit")
for name, d, r, norm, f in zip([*held_out, "the steel drum"], nearest_new.tolist(), ratio, new.norm(dim=1).tolist(), fits):
    print(f"    {name:34s} {d:.3f} ({r:.2f}×)  norm {norm:.3f}  {f:5.1f} dB")

# %% [markdown]
# On the table's first two directions the fitted latents sit among the trained ones, but those two
# directions hold under half of the table's spread. In the full latent space, a fitted latent far
# from every trained one is a failed fit: the unseen notes and the steel drum whose latents land
# beyond 1.4 times the trained latents' median neighbour distance all come back at silence's level
# (0.1–0.3 dB). Landing among the trained latents is no guarantee either: four of the six unseen
# notes land about as near a trained latent as trained latents are to each other (0.65 to 1.03
# times that distance), and come back anywhere from −1.0 to 11.6 dB. The decoder renders its 16
# notes well and, between and beyond their latents, little else: what a new note needs is not a
# latent it can find but a decoder that has learned more than its training notes (asserted below,
# for the shipped model). With only three unseen notes, an earlier version of this notebook saw
# all of them off the table and called that the reason for the poor fits; six say otherwise.

# %%
if MODEL == "pcinr-keyboard" and SOUND is None:
    assert np.all(fits[ratio > 1.4] < 1.0), "far off the table: a failed fit"
    near = fits[:-1][ratio[:-1] < 1.1]
    assert len(near) >= 3 and near.min() < 1.0 and near.max() > 10.0, "on the table: no guarantee"

# %% [markdown]
# ## In the explorer
# The fitted steel drum becomes one more note of each model in the explorer (this session only;
# nothing on disk changes): pick "steel drum (fitted)" as the note, or as the "towards note" to
# morph a keyboard note into it.

# %% tags=["nbval-ignore-output"]
explorer = widgets.Explorer(runs, out="../explorer")
for name, (z, _) in fitted.items():
    explorer.add_sound(name, "steel drum (fitted)", z, sound)
explorer.note.value = len(run.notes)
explorer.panel
