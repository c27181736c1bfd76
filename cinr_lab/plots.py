"""Figures: waveforms, spectrograms and data-set counts, built on matplotlib and librosa.display.

Every function draws into a given (or new) Axes and returns it, so notebooks compose them into
grids; :func:`save` writes a figure to ``figures/`` with stable bytes (no software-version stamp).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import librosa.display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cinr_lab.atomic import atomic_path
from cinr_lab.audio import NSYNTH_RATE

N_FFT, HOP = 1024, 128
"""STFT size and hop for the spectrogram figures (64 ms window, 8 ms hop at 16 kHz)."""


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.figure(figsize=(6, 3)).gca()


def spectrogram_db(wave: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """Magnitude spectrogram in dB relative to full scale.

    Args:
        wave: ``[samples]`` float audio in [-1, 1].
        top_db: floor, in dB below full scale.

    Returns:
        ``[1 + N_FFT // 2, frames]`` dB values in ``[-top_db, ...]``; 0 dB is a full-scale sine.
        Frame ``k`` covers samples ``[k * HOP, k * HOP + N_FFT)`` (see :func:`frame_times`).
    """
    # Frames lie wholly inside the clip (no padding): padding a clip cut off mid-note would draw
    # a broadband click at its end that is not in the sound.
    x = np.asarray(wave, np.float32)
    mag = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, center=False))
    ref = np.sum(np.hanning(N_FFT)) / 2  # a full-scale sine's peak bin
    return librosa.amplitude_to_db(mag, ref=ref, amin=1e-5, top_db=None).clip(min=-top_db)


def frame_times(frames: int, rate: int = NSYNTH_RATE) -> np.ndarray:
    """Centre time in seconds of each frame of :func:`spectrogram_db`."""
    return (np.arange(frames) * HOP + N_FFT / 2) / rate


def specplot(
    wave: np.ndarray,
    rate: int = NSYNTH_RATE,
    ax: Axes | None = None,
    title: str | None = None,
    y_axis: str = "log",
    top_db: float = 80.0,
) -> Axes:
    """Spectrogram of one clip, log-frequency by default, on a fixed dB scale (comparable
    across clips: ``vmin=-top_db``, ``vmax=0`` dBFS).

    Args:
        wave: ``[samples]`` float audio.
        rate: sample rate in Hz.
        ax: where to draw (default: a new figure).
        title: axes title.
        y_axis: ``"log"`` or ``"linear"`` frequency axis.
        top_db: dynamic range shown.

    The time axis spans the frames' centres (32 ms to 968 ms of a 1 s clip with the 64 ms
    window): frames lie wholly inside the clip, so nothing is drawn nearer its ends.
    """
    ax = _axes(ax)
    db = spectrogram_db(wave, top_db)
    times = frame_times(db.shape[1], rate)
    librosa.display.specshow(
        db, sr=rate, hop_length=HOP, n_fft=N_FFT, x_coords=times,
        x_axis="time", y_axis=y_axis, ax=ax, vmin=-top_db, vmax=0, cmap="magma",
    )  # fmt: skip
    ax.set(xlim=(times[0], times[-1]), xlabel="time (s)", ylabel="frequency (Hz)")
    if title:
        ax.set_title(title)
    return ax


def amplitude_limit(*waves: np.ndarray) -> float:
    """A symmetric amplitude axis that fits every one of ``waves``: 1.1 × their peak, at least
    1e-3 (so a quiet note is no flat line, and silence still has an axis)."""
    peak = max(float(np.max(np.abs(w), initial=0.0)) for w in waves)
    return max(1.1 * peak, 1e-3)


def waveplot(
    wave: np.ndarray,
    rate: int = NSYNTH_RATE,
    ax: Axes | None = None,
    title=None,
    limit: float | None = None,
) -> Axes:
    """Waveform of one clip against time in seconds.

    The amplitude axis is symmetric: ``±limit``, or by default 1.1 × the clip's peak (so a quiet
    note is not a flat line; the axis labels say the scale), never below 1e-3.
    """
    ax = _axes(ax)
    if limit is None:
        limit = amplitude_limit(wave)
    ax.plot(np.arange(len(wave)) / rate, wave, lw=0.4, color="tab:blue")
    ax.set(xlim=(0, len(wave) / rate), ylim=(-limit, limit), xlabel="time (s)", ylabel="amplitude")
    if title:
        ax.set_title(title)
    return ax


def countplot(counts: Mapping, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Bar chart of ``{value: count}`` (e.g. one entry of :func:`cinr_lab.nsynth.counts`)."""
    ax = _axes(ax)
    labels = [str(k) for k in counts]
    ax.bar(range(len(labels)), list(counts.values()), color="tab:gray")
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step])
    ax.set_ylabel("notes")
    if title:
        ax.set_title(title)
    return ax


def note_grid(
    waves: Sequence[np.ndarray], titles: Sequence[str], rate: int = NSYNTH_RATE
) -> Figure:
    """One row per clip: waveform on the left, log-frequency spectrogram on the right."""
    fig, axes = plt.subplots(len(waves), 2, figsize=(11, 2.2 * len(waves)), squeeze=False)
    for (left, right), wave, title in zip(axes, waves, titles, strict=True):
        waveplot(wave, rate, left)
        specplot(wave, rate, right)
        left.set_title(title, loc="left", fontsize=10)  # one title per row, over both panels
        if left is not axes[-1][0]:
            left.set_xlabel("")
            right.set_xlabel("")
    fig.tight_layout()
    return fig


def save(fig: Figure, path: str | os.PathLike, dpi: int = 200) -> Path:
    """Atomically write ``fig`` as PNG at 200 dpi (print quality; creating the folder), without a
    version stamp."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    return path


def loss_curves(
    curves: Mapping[str, Mapping[str, np.ndarray]],
    ax: Axes | None = None,
    key: str = "mse",
    baseline: float | None = None,
) -> Axes:
    """Loss against step for several runs on one log axis (:func:`cinr_lab.runfolder.loss_curve`).

    Args:
        curves: ``{label: curve}``.
        ax: where to draw.
        key: which column (``"mse"``, ``"loss"``, ``"stft"``).
        baseline: draw a dashed line here (e.g. what predicting silence scores).
    """
    ax = _axes(ax)
    for label, curve in curves.items():
        ax.semilogy(curve["step"], curve[key], label=label, lw=1)
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=0.8, label="silence")
    ax.set(xlabel="step", ylabel=key)
    ax.legend()
    return ax


def compare_grid(
    truth: np.ndarray,
    recons: Mapping[str, np.ndarray],
    names: Sequence[str],
    rate: int = NSYNTH_RATE,
    zoom: tuple[float, float] = (0.5, 0.52),
) -> Figure:
    """Per note (rows): a waveform zoom of truth and every reconstruction, then spectrograms.

    Args:
        truth: ``[notes, samples]``.
        recons: ``{label: [notes, samples]}``.
        names: one title per note.
        zoom: the waveform window in seconds.
    """
    cols = 1 + 1 + len(recons)
    fig, axes = plt.subplots(
        len(truth), cols, figsize=(3.2 * cols, 2.3 * len(truth)), squeeze=False
    )
    a, b = (int(s * rate) for s in zoom)
    t = np.arange(a, b) / rate
    for row, (axs, name) in enumerate(zip(axes, names, strict=True)):
        axs[0].plot(t, truth[row, a:b], color="k", lw=1.2, label="truth")
        for label, wave in recons.items():
            axs[0].plot(t, wave[row, a:b], lw=0.9, label=label)
        axs[0].set(title=name, xlabel="time (s)")
        axs[0].title.set_fontsize(8)
        if row == 0:
            axs[0].legend(fontsize=7)
        for ax, (label, wave) in zip(axs[1:], [("truth", truth), *recons.items()], strict=True):
            specplot(wave[row], rate, ax, label)
            ax.set_ylabel("")
    fig.tight_layout()
    return fig


def table_bars(
    ours: Mapping[str, Mapping[str, tuple[float, float]]],
    paper: Mapping[str, Mapping[str, tuple[float, float]]],
    column: str,
    ax: Axes | None = None,
    log: bool = False,
) -> Axes:
    """One Table 1 column as bars (mean ± std over seeds), with the paper's values as diamonds.

    Args:
        ours, paper: ``{arch: {"metric set": (mean, std)}}`` (see :mod:`cinr_lab.table`).
        column: e.g. ``"cdpam keyboard"``.
        log: logarithmic value axis (for MSE, which spans four orders of magnitude).
    """
    ax = _axes(ax)
    archs = [a for a in ours if column in ours[a]]
    x = np.arange(len(archs))
    mean = [ours[a][column][0] for a in archs]
    std = [ours[a][column][1] for a in archs]
    ax.bar(x, mean, yerr=std, capsize=3, color="tab:blue", alpha=0.8, label="this run")
    paper_x = [i for i, a in enumerate(archs) if column in paper.get(a, {})]
    paper_y = [paper[archs[i]][column][0] for i in paper_x]
    ax.scatter(paper_x, paper_y, marker="D", color="tab:red", zorder=3, label="paper")
    ax.set_xticks(x, archs, rotation=30, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    metric, set_name = column.split()
    name, unit = TABLE_AXES.get(metric, (metric, ""))
    ax.set_title(f"{name}, {set_name} set", fontsize=10)
    ax.set_ylabel(f"{name} {unit}".strip() + (" (log)" if log else ""), fontsize=9)
    return ax


TABLE_AXES = {
    "mse": ("MSE", "(squared error summed over 16,000 samples)"),
    "multi_stft": ("multi-STFT", "(MSE of STFT magnitudes)"),
    "cdpam": ("CDPAM", "(distance)"),
    "snr": ("SNR", "(dB)"),
}
"""Display name and unit of each Table 1 metric on :func:`table_bars`' value axis."""


# --------------------------------------------------------------------------- analysis figures


def spectrogram_grid(
    truth: np.ndarray,
    recons: Mapping[str, np.ndarray],
    names: Sequence[str],
    rate: int = NSYNTH_RATE,
    y_axis: str = "log",
    top_db: float = 80.0,
) -> Figure:
    """Per note, two rows: the truth and every reconstruction, then each reconstruction's error.

    The error row is the spectrogram of ``recon − truth``: noise a model adds shows up there as
    energy where the truth has none. Every panel shares one dB scale (0 dBFS down to ``-top_db``).

    Args:
        truth: ``[notes, samples]``.
        recons: ``{label: [notes, samples]}``.
        names: one title per note.
        y_axis: ``"log"`` or ``"linear"`` frequency axis.
    """
    cols = 1 + len(recons)
    fig, axes = plt.subplots(
        2 * len(truth), cols, figsize=(2.7 * cols + 1, 1.9 * 2 * len(truth)), squeeze=False,
        sharex=True, sharey=True, layout="constrained",
    )  # fmt: skip
    for row, name in enumerate(names):
        top, bottom = axes[2 * row], axes[2 * row + 1]
        specplot(truth[row], rate, top[0], f"{name}: truth", y_axis, top_db)
        bottom[0].axis("off")
        bottom[0].text(
            0.5, 0.5, "error\n(reconstruction − truth)\n→", ha="center", va="center",
            transform=bottom[0].transAxes,
        )  # fmt: skip
        for col, (label, wave) in enumerate(recons.items(), start=1):
            specplot(wave[row], rate, top[col], label, y_axis, top_db)
            specplot(wave[row] - truth[row], rate, bottom[col], f"{label}: error", y_axis, top_db)
    for (i, j), ax in np.ndenumerate(axes):
        ax.title.set_fontsize(8)
        ax.tick_params(labelsize=7)
        if j > 0:
            ax.set_ylabel("")
        if i < len(axes) - 1:
            ax.set_xlabel("")
    fig.colorbar(axes[0][0].collections[0], ax=axes, shrink=0.4, label="dBFS")
    return fig


def band_bars(
    errors: Mapping[str, np.ndarray],
    edges: Sequence[float],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Grouped bars: each model's error energy per band relative to the truth's, in dB.

    Args:
        errors: ``{label: [bands]}`` from :func:`cinr_lab.analysis.band_error`.
        edges: the band edges in Hz.
    """
    bands = [f"{lo / 1000:g}–{hi / 1000:g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    values = {
        band: {label: 10 * np.log10(v[k]) for label, v in errors.items()}
        for k, band in enumerate(bands)
    }
    ax = grouped_bars(values, ax, ylabel="error / truth energy (dB)")
    ax.axhline(0, color="k", lw=0.8, ls="--")
    ax.set_xlabel("band (kHz)")
    if title:
        ax.set_title(title)
    return ax


def grouped_bars(
    values: Mapping[str, Mapping[str, float]],
    ax: Axes | None = None,
    ylabel: str = "",
    log: bool = False,
) -> Axes:
    """``{group: {label: value}}`` as bars grouped by ``group`` (e.g. set → model → value)."""
    ax = _axes(ax)
    groups = list(values)
    labels = list(dict.fromkeys(k for g in groups for k in values[g]))
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        x = np.arange(len(groups)) + (k - (len(labels) - 1) / 2) * width
        ax.bar(x, [values[g].get(label, np.nan) for g in groups], width, label=label)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=7)
    return ax


def density_by_layer(
    densities: Mapping[str, np.ndarray], ax: Axes | None = None, spread=(10, 90)
) -> Axes:
    """Stationary-point density layer by layer: per model its units' median (line) and the
    ``spread`` percentiles (band), on a log axis.

    The dashed line is 8,000 per unit of ``t``: as often as an 8 kHz tone turns (a one-second clip
    spans 2 units of ``t``), the audio's Nyquist frequency.

    Args:
        densities: ``{label: [layers, units]}`` stationary points per unit of ``t``.
        spread: the percentiles the band spans.
    """
    ax = _axes(ax)
    for label, density in densities.items():
        layers = np.arange(1, len(density) + 1)
        low, median, high = np.percentile(density, (spread[0], 50, spread[1]), axis=1)
        (line,) = ax.plot(layers, median, marker="o", ms=4, label=label)
        ax.fill_between(layers, low, high, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(NSYNTH_RATE / 2, color="k", ls="--", lw=0.8, label="an 8 kHz tone (Nyquist)")
    ax.set(yscale="log", xlabel="layer", ylabel="stationary points per unit of t")
    ax.xaxis.get_major_locator().set_params(integer=True)
    title = f"median; band {spread[0]}-{spread[1]} % of units"
    ax.legend(fontsize=7, title=title, title_fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return ax


def density_vs_phase(stationary, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Each sine unit's counted density against its phase-only estimate, coloured by layer.

    On the diagonal a unit's turning points are its own phase's (``ω|u'|/π``); above it the unit
    also inherits its inputs' turning points, the multiplication through depth.
    """
    ax = _axes(ax)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(stationary.measured)))
    for i, colour in enumerate(colours):
        ax.scatter(stationary.analytic[i], stationary.measured[i], s=3, color=colour,
                   label=f"layer {i + 1}")  # fmt: skip
    both = np.concatenate([stationary.analytic.ravel(), stationary.measured.ravel()])
    both = both[np.isfinite(both) & (both > 0)]
    span = (both.min() / 1.5, both.max() * 1.5)
    ax.plot(span, span, color="k", lw=0.8, ls=":", label="counted = phase estimate")
    ax.set(xscale="log", yscale="log", xlim=span, ylim=span, aspect="equal",
           xlabel="phase estimate ω|u'|/π (per unit of t)",
           ylabel="counted (per unit of t)")  # fmt: skip
    ax.legend(fontsize=6, markerscale=3, ncol=2)
    if title:
        ax.set_title(title)
    return ax


def spectrum(
    waves: Mapping[str, tuple[np.ndarray, int]],
    ax: Axes | None = None,
    nyquist: float | None = NSYNTH_RATE / 2,
    n_fft: int = 4096,
) -> Axes:
    """Long-term average spectrum (mean STFT power, dBFS) of clips at possibly different rates.

    Args:
        waves: ``{label: (wave [samples], rate)}``.
        nyquist: draw a line here (the training rate's Nyquist frequency).
        n_fft: window at 16 kHz; scaled with the rate so every curve has the same bin width (and
            a noise floor sits at the same level whatever the rate).
    """
    ax = _axes(ax)
    for label, (wave, rate) in waves.items():
        n = round(n_fft * rate / NSYNTH_RATE)
        ref = np.sum(np.hanning(n)) / 2
        mag = np.abs(librosa.stft(np.asarray(wave, np.float32), n_fft=n, hop_length=n // 4))
        db = 10 * np.log10(np.maximum((mag**2).mean(-1), 1e-12) / ref**2)
        ax.plot(librosa.fft_frequencies(sr=rate, n_fft=n)[1:], db[1:], lw=0.8, label=label)
    if nyquist:
        ax.axvline(nyquist, color="k", ls="--", lw=0.8, label="training Nyquist")
    ax.set(xscale="log", xlabel="frequency (Hz)", ylabel="mean power (dBFS)", ylim=(-140, 0))
    ax.legend(fontsize=7)
    return ax


def sine_chain_plot(omegas, slopes, span: tuple[float, float] = (-1.0, 1.0), points=20000):
    """The toy chain ``a_i = sin(ω_i · s_i · a_{i-1})``, ``a_0 = t``: one row per layer, each
    unit's activation with its stationary points marked, counted and estimated in the title."""
    from cinr_lab import analysis, models

    fn = analysis.sine_chain(omegas, slopes)
    t = models.grid(points) * (span[1] - span[0]) / 2 + (span[1] + span[0]) / 2
    a, da = analysis.trace(fn, t)
    measured, estimate = analysis.phase_density(fn, t)
    width = span[1] - span[0]
    fig, axes = plt.subplots(len(omegas), 1, figsize=(9, 1.9 * len(omegas)), sharex=True)
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        turns = np.flatnonzero(np.signbit(da[1:, i]) != np.signbit(da[:-1, i]))
        ax.plot(t, a[:, i], lw=0.8, color="tab:blue")
        ax.plot(t[turns], a[turns, i], ".", ms=3, color="tab:red")
        ax.set_title(
            f"layer {i + 1}: sin({omegas[i]:g}·{slopes[i]:g}·a{i}) — {len(turns)} stationary "
            f"points counted, {estimate[i] * width:.1f} from the phase alone",
            fontsize=9,
        )
        ax.set_ylim(-1.1, 1.1)
    axes[-1].set_xlabel("t")
    fig.tight_layout()
    return fig


def along_training(
    curves: Mapping[str, Sequence[Mapping]],
    value,
    ax: Axes | None = None,
    ylabel: str = "",
    title: str | None = None,
) -> Axes:
    """One line per run: a measure at its initialisation and snapshots against the step.

    Args:
        curves: ``{label: points}``, each point a record of
            :func:`cinr_lab.analysis.along_training` (``"step"`` and the measures).
        value: the measure's key, or a function of a point (e.g. the last layer's density).
        ylabel, title: the axes' labels.
    """
    ax = _axes(ax)
    get = value if callable(value) else (lambda p: p[value])
    for label, points in curves.items():
        kept = [p for p in points if get(p) is not None]
        ax.plot([p["step"] for p in kept], [get(p) for p in kept], marker="o", ms=3, label=label)
    ax.set_xscale("symlog", linthresh=100)  # step 0 (the initialisation) stays on the axis
    ax.set(xlabel="training step", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3, which="both")
    return ax
