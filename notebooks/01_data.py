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
# # 01 · The data: NSynth notes and the paper's two sets
#
# [NSynth](https://magenta.tensorflow.org/datasets/nsynth) (Engel et al., 2017) is a data set of
# 305,979 musical notes: each is one MIDI key of one instrument at one of five velocities, held for
# 3 s and released, 4 s at 16 kHz. Notes carry metadata: an instrument **family** (guitar,
# keyboard, mallet, …), a **source** (acoustic, electronic, synthetic), pitch and velocity.
#
# The CINR paper (Zuiderveld, Federici & Bekkers, 2021) reconstructs two 1024-note subsets, using
# only **the first second** of each note:
#
# * **diverse**: guitar, keyboard and mallet notes over pitches 24–84;
# * **keyboard**: keyboard notes at five adjacent pitches, 60–64 — a far more uniform set, where the
#   paper sees its periodic INRs add high-frequency noise.
#
# `cinr_lab` ships both note lists. It reads a real NSynth download when you point it at one, and
# otherwise uses an **embedded stand-in**: every note of both lists rendered from real sampled
# instruments (the General MIDI SoundFont `TimGM6mb.sf2`), with NSynth's file layout, names and
# metadata. Same names, same pitches, velocities, families and sources — different recordings.

# %% tags=["parameters"]
DATA = None  # None: $CINR_NSYNTH or the embedded stand-in; or the path of a real NSynth folder
# Scale: this tour always loads both sets whole (1024 notes each), which is the paper's scale.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from cinr_lab import nsynth, plots
from cinr_lab.audio import play

FIGURES = "../figures"
sets = {name: nsynth.load(DATA, subset=name) for name in nsynth.SETS}
for name, clips in sets.items():
    print(f"{name}: audio {clips.audio.shape} {clips.audio.dtype}, {clips.sample_rate} Hz")

# %% [markdown]
# Each set is a `[notes, samples]` array of floats in [-1, 1) plus one metadata record per note.
# A record, as NSynth stores it (the stand-in adds a `render` entry saying how it made the note):

# %%
sets["keyboard"].notes[0]

# %% [markdown]
# ## What the sets hold
# Counts per family and source, pitch and velocity. The diverse set spreads over five octaves; the
# keyboard set sits on five keys around middle C.

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 5.5))
for row, (name, clips) in zip(axes, sets.items(), strict=True):
    c = nsynth.counts(clips.notes)
    family_source = {}
    for meta in clips.notes:
        key = f"{meta['instrument_family_str']}\n{meta['instrument_source_str'][:5]}."
        family_source[key] = family_source.get(key, 0) + 1
    plots.countplot(dict(sorted(family_source.items())), row[0], f"{name}: family / source")
    plots.countplot(c["pitch"], row[1], f"{name}: MIDI pitch")
    plots.countplot(c["velocity"], row[2], f"{name}: velocity")
    row[0].tick_params(axis="x", labelsize=8)
fig.tight_layout()
plots.save(fig, f"{FIGURES}/01_counts.png")
plt.show()

# %% [markdown]
# The claims above, checked in code (nbval re-runs this cell, so it fails if they stop holding):

# %%
div, key = (nsynth.counts(sets[n].notes) for n in nsynth.SETS)
assert len(sets["diverse"]) == len(sets["keyboard"]) == 1024
assert set(div["family"]) == {"guitar", "keyboard", "mallet"} and set(key["family"]) == {"keyboard"}
assert (min(div["pitch"]), max(div["pitch"])) == (24, 84)
assert sorted(key["pitch"]) == [60, 61, 62, 63, 64]
assert sorted(div["velocity"]) == sorted(key["velocity"]) == list(nsynth.VELOCITIES)
print(f"instruments: diverse {len(div['instrument'])}, keyboard {len(key['instrument'])}")

# %% [markdown]
# ## One note per family
# Waveform and log-frequency spectrogram (on one dB scale for all) of a note from each family of
# the diverse set, at velocity 100 and the pitch nearest middle C. Listen to them below: the
# players keep each clip's true loudness (`normalize=False`).

# %%
def nearest(clips, **where):
    """Index of the note matching `where` whose pitch is nearest 60."""
    rows = [i for i, m in enumerate(clips.notes) if all(m[k] == v for k, v in where.items())]
    return min(rows, key=lambda i: (abs(clips.notes[i]["pitch"] - 60), clips.notes[i]["note_str"]))


diverse = sets["diverse"]
shown = [nearest(diverse, instrument_family_str=f, velocity=100) for f in ("guitar", "keyboard", "mallet")]
fig = plots.note_grid([diverse.audio[i] for i in shown], [diverse.names[i] for i in shown])
plots.save(fig, f"{FIGURES}/01_notes_diverse.png")
plt.show()

# %%
for i in shown:
    print(diverse.names[i])
    display(play(diverse.audio[i]))

# %% [markdown]
# ## How uniform the keyboard set is
# Three notes of the keyboard set on the same key (60) from three sources. Their spectra share the
# same harmonic ladder; what differs is the balance of harmonics and the envelope. A model of this
# set must represent many near-identical sounds, which is where the paper finds the periodic INR's
# high-frequency noise.

# %%
keyboard = sets["keyboard"]
trio = [nearest(keyboard, instrument_source_str=s, pitch=60, velocity=100) for s in nsynth.SOURCES]
fig = plots.note_grid([keyboard.audio[i] for i in trio], [keyboard.names[i] for i in trio])
plots.save(fig, f"{FIGURES}/01_notes_keyboard.png")
plt.show()
for i in trio:
    print(keyboard.names[i])
    display(play(keyboard.audio[i]))

# %% [markdown]
# ## Loudness, and what "silence" scores
# The paper's MSE is the squared error **summed** over a clip's 16,000 samples and averaged over
# notes, so predicting silence scores each set's mean energy. The paper's silence row is 46.19
# (diverse) and 78.74 (keyboard). Velocity sets loudness, as in NSynth:

# %%
for name, clips in sets.items():
    energy = (clips.audio.astype(np.float64) ** 2).sum(axis=1)
    velocity = np.array([m["velocity"] for m in clips.notes])
    by_velocity = {v: float(np.median(energy[velocity == v])) for v in nsynth.VELOCITIES}
    assert list(by_velocity.values()) == sorted(by_velocity.values())  # louder with velocity
    print(f"{name}: silence MSE = {energy.mean():.2f}; median energy by velocity:",
          ", ".join(f"{v}: {e:.2f}" for v, e in by_velocity.items()))

# %% [markdown]
# On the embedded stand-in the diverse set's silence MSE is close to the paper's, but the keyboard
# set is about four times quieter than NSynth's keyboard notes: General MIDI keyboard samples
# decay faster and sit lower than NSynth's. Errors on the two sets are therefore not on the same
# footing as the paper's; later notebooks report them next to this silence baseline.

# %%
if "render" in sets["keyboard"].notes[0]:  # the claims above are about the embedded stand-in
    silence = {n: (c.audio.astype(np.float64) ** 2).sum(axis=1).mean() for n, c in sets.items()}
    assert 0.7 < silence["diverse"] / 46.19 < 1.0
    assert 3.5 < 78.74 / silence["keyboard"] < 5.0
    print(f"keyboard set: {78.74 / silence['keyboard']:.1f}x quieter than the paper's")
#
# ## Average spectra
# The mean spectrum of each set over its first second: power averaged over notes and frames,
# then in dB (averaging dB values would weigh the quiet frames' clipped floor like the notes
# themselves). The keyboard set's energy sits in a narrow band of harmonics of 262–330 Hz.

# %%
fig, ax = plt.subplots(figsize=(8, 3.2))
for name, clips in sets.items():
    power = np.mean([(10 ** (plots.spectrogram_db(x, top_db=np.inf) / 10)).mean(axis=1) for x in clips.audio], axis=0)
    spec = 10 * np.log10(np.maximum(power, 1e-12))
    freqs = np.fft.rfftfreq(plots.N_FFT, 1 / clips.sample_rate)
    ax.semilogx(freqs[1:], spec[1:], label=name)
ax.set(xlabel="frequency (Hz)", ylabel="mean level (dBFS)", xlim=(20, 8000))
ax.legend()
fig.tight_layout()
plots.save(fig, f"{FIGURES}/01_mean_spectra.png")
plt.show()
