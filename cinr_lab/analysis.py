"""Why PCINRs hiss: high-frequency error, stationary-point density and super-resolution.

The paper blames a PCINR's added high-frequency noise on the high density of stationary points of
``sin(ω·x)`` for large ``ω``. This module measures both sides of that claim:

* :func:`band_error`: how much error energy a reconstruction has in each octave band, relative
  to the truth's energy there; :func:`hf_excess`: how much energy it adds above 4 kHz;
* :func:`stationary_points`: per unit and layer of a trained PCINR, the density of stationary
  points along ``t``, counted on a dense grid and estimated from the sine's phase alone;
* :func:`superres`: a PCINR rendered at 2× and 4× its training rate, and how much of its energy
  lies above the training Nyquist frequency;
* :func:`between_harmonics`: the error's energy between a note's harmonics, which added noise
  and missing partials cannot cancel; :func:`along_training`: all of it at a run's snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from cinr_lab import models, rendering, runfolder
from cinr_lab.audio import NSYNTH_RATE
from cinr_lab.decoder import Decoder

# --------------------------------------------------------------------------- high-frequency error

OCTAVE_EDGES = (0.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
"""Band edges in Hz: everything below 125 Hz, then octaves up to the 8 kHz Nyquist frequency."""

HF_CUTOFF = 4000.0
"""Where "high frequency" starts for :func:`hf_excess`."""


def band_energy(
    wave: np.ndarray, rate: int = NSYNTH_RATE, edges: tuple[float, ...] = OCTAVE_EDGES
) -> np.ndarray:
    """Energy of each clip in each frequency band, from its whole-clip spectrum (Parseval).

    Args:
        wave: ``[..., samples]`` float audio.
        rate: sample rate in Hz.
        edges: ascending band edges in Hz; band ``k`` is ``[edges[k], edges[k+1])``, the last one
            closed at its top.

    Returns:
        ``[..., len(edges) - 1]``; the bands' sum is the clip's summed squared amplitude when they
        span 0 to ``rate / 2``.
    """
    wave = np.asarray(wave, np.float64)
    n = wave.shape[-1]
    power = np.abs(np.fft.rfft(wave, axis=-1)) ** 2 / n
    power[..., 1 : (n + 1) // 2] *= 2  # each positive frequency stands for its negative twin
    freqs = np.fft.rfftfreq(n, 1 / rate)
    bands = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        top = freqs <= hi if k == len(edges) - 2 else freqs < hi
        bands.append(power[..., (freqs >= lo) & top].sum(-1))
    return np.stack(bands, -1)


def band_error(
    truth: np.ndarray,
    recon: np.ndarray,
    rate: int = NSYNTH_RATE,
    edges: tuple[float, ...] = OCTAVE_EDGES,
) -> np.ndarray:
    """Error energy per band relative to the truth's energy in that band, pooled over notes.

    Args:
        truth, recon: ``[notes, samples]``.

    Returns:
        ``[bands]``: ``Σ_notes E_band(recon − truth) / Σ_notes E_band(truth)``. 1 (0 dB) means the
        error is as loud as the sound in that band; a model that adds hiss to a band the notes
        hardly use scores far above 1 there.
    """
    truth, recon = _pair(truth, recon)
    err = band_energy(recon - truth, rate, edges).sum(0)
    ref = band_energy(truth, rate, edges).sum(0)
    return err / np.maximum(ref, np.finfo(np.float64).tiny)


def hf_excess(
    truth: np.ndarray, recon: np.ndarray, rate: int = NSYNTH_RATE, cutoff: float = HF_CUTOFF
) -> np.ndarray:
    """The reconstruction's energy above ``cutoff`` beyond the truth's, as a share of the note's.

    ``(E_>cutoff(recon) − E_>cutoff(truth)) / E(truth)``: positive where a model adds
    high-frequency energy the note does not have (hiss), negative where it misses some (muffle).
    Unlike the error energy in that band (see :func:`band_error`), a note's real high partials
    that a model leaves out do not count as hiss.

    Args:
        truth, recon: ``[notes, samples]``.

    Returns:
        ``[notes]`` signed shares.
    """
    truth, recon = _pair(truth, recon)
    edges = (0.0, cutoff, rate / 2)
    high = band_energy(recon, rate, edges)[:, 1] - band_energy(truth, rate, edges)[:, 1]
    total = np.maximum((truth.astype(np.float64) ** 2).sum(-1), np.finfo(np.float64).tiny)
    return high / total


def midi_hz(pitch) -> np.ndarray:
    """Fundamental frequency in Hz of MIDI pitches (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, np.float64) - 69) / 12)


def between_harmonics(
    truth: np.ndarray,
    recon: np.ndarray,
    f0: np.ndarray,
    rate: int = NSYNTH_RATE,
    cutoff: float = 0.0,
    width: float = 0.25,
) -> np.ndarray:
    """The error's energy between a note's harmonics, as a share of the note's energy.

    Counts the bins of ``|FFT(recon − truth)|²`` above ``cutoff`` Hz that lie further than
    ``width · f0`` from every harmonic ``k · f0``: where a harmonic note has little energy of its
    own, so the error there is mostly what a model added (hiss, or partials it put in the wrong
    place). Unlike :func:`hf_excess`, a model that adds noise and also misses partials cannot
    come out at zero: the error's energy adds up, it does not cancel.

    Args:
        truth, recon: ``[notes, samples]``.
        f0: ``[notes]`` each note's fundamental in Hz (:func:`midi_hz` of its pitch).
        cutoff: count only bins from this frequency up (0: the whole band; 4000: the hiss band).
        width: half-width of the band kept out around each harmonic, in units of ``f0``.

    Returns:
        ``[notes]`` shares (≥ 0).
    """
    truth, recon = _pair(truth, recon)
    f0 = np.asarray(f0, np.float64).reshape(-1, 1)
    if f0.shape[0] != truth.shape[0] or not np.all(f0 > 0):
        raise ValueError(f"f0 must hold one positive frequency per note; got {f0.ravel()}")
    n = truth.shape[-1]
    freqs = np.fft.rfftfreq(n, 1 / rate)[None, :]
    error = np.abs(np.fft.rfft(recon.astype(np.float64) - truth, axis=-1)) ** 2
    ratio = freqs / f0
    between = (np.abs(ratio - np.round(ratio)) > width) & (freqs >= cutoff)
    total = (np.abs(np.fft.rfft(truth.astype(np.float64), axis=-1)) ** 2).sum(-1)
    return (error * between).sum(-1) / np.maximum(total, np.finfo(np.float64).tiny)


def _pair(truth: np.ndarray, recon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    truth, recon = np.asarray(truth), np.asarray(recon)
    if truth.ndim != 2 or truth.shape != recon.shape:
        raise ValueError(
            f"truth and recon must both be [notes, samples]; got {truth.shape} and {recon.shape}"
        )
    return truth, recon


# --------------------------------------------------------------------------- stationary points


@dataclass
class Stationary:
    """Stationary-point densities of an INR's units along ``t`` (per unit of ``t``).

    Attributes:
        measured: ``[layers, units]`` sign changes of ``a'(t)`` on the grid, divided by its span.
        analytic: ``[layers, units]`` the phase-only estimate ``∫ |u'(t)| dt / (π · span)``, for
            ``a = sin(u)``, ``u = ω_eff · h + β`` (so ``u' = ω_eff · h'``) for the sine; NaN for
            an activation without a phase.
        omega: ``[layers, units]`` each unit's effective scale ``ω_eff`` (``ω + γ`` under FiLM).
        span: length of ``t`` covered (a clip spans 2: ``t ∈ [-1, 1)``).
        points: grid size.
    """

    measured: np.ndarray
    analytic: np.ndarray
    omega: np.ndarray
    span: float
    points: int

    @property
    def saturated(self) -> np.ndarray:
        """``[layers, units]`` True where the count nears the grid's limit (a stationary point
        every 4 samples or more often): there it is a lower bound, refine the grid."""
        return self.measured * self.span / self.points > 0.25

    @property
    def lower_bound(self) -> np.ndarray:
        """``[layers, units]`` ``max(measured, analytic)``: the count misses points the grid
        cannot resolve, the phase estimate misses the turning points of ``u``; the true density
        is at least either (up to one point per monotone stretch of ``u``)."""
        return np.maximum(self.measured, self.analytic)

    def per_second(self, seconds: float = 1.0) -> np.ndarray:
        """Measured stationary points per second of audio (a ``seconds``-long clip spans 2)."""
        return self.measured * self.span / seconds


def unit_density(trace_fn, t: Tensor, chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Count and estimate the stationary points of many units' outputs ``a(t)`` at once.

    ``a'(t)`` comes from forward-mode autograd through the units' own computation (exact, not a
    finite difference); its sign changes on the grid are the count. For a periodic unit,
    ``a = sin(φ)``, so ``a' = cos(φ) · φ'`` is zero where ``φ`` crosses ``π/2 + kπ`` (about
    ``|φ'| / π`` times per unit of ``t``) and where ``φ`` turns: the estimate ``∫ |φ'| dt / π``.

    Args:
        trace_fn: maps ``t [K]`` to ``(phase, out)``, each ``[K, units]``: the units' outputs and
            their phases (NaN for a unit without one; its estimate is then NaN).
        t: ``[K]`` ascending, evenly spaced grid.
        chunk: grid points per forward pass (bounds memory; counts run across chunk borders).

    Returns:
        ``(measured, analytic)``, each ``[units]``: stationary points per unit of ``t``, counted
        as sign changes of ``a'`` on the grid, and estimated as ``∫ |φ'| dt / π``.
    """
    dt = (float(t[-1]) - float(t[0])) / (len(t) - 1)  # not t[1] - t[0]: float32 rounding
    span = dt * len(t)
    count = analytic = previous = None
    for part in t.split(chunk):
        (_, _), (dphase, da) = torch.func.jvp(trace_fn, (part,), (torch.ones_like(part),))
        signs = torch.signbit(da)
        if previous is not None:
            signs = torch.cat([previous, signs])
        changes = (signs[1:] != signs[:-1]).sum(0)
        integral = dphase.abs().double().sum(0) * dt / torch.pi
        count = changes if count is None else count + changes
        analytic = integral if analytic is None else analytic + integral
        previous = signs[-1:]
    return (count.double() / span).numpy(), (analytic.double() / span).numpy()


def phase_density(phase_fn, t: Tensor, chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """:func:`unit_density` of sine units ``a = sin(u(t))`` given their phases.

    Args:
        phase_fn: maps ``t [K]`` to the phases ``u [K, units]``.
    """
    return unit_density(_sine_of(phase_fn), t, chunk)


def _sine_of(phase_fn):
    def trace_fn(t: Tensor) -> tuple[Tensor, Tensor]:
        u = phase_fn(t)
        return u, torch.sin(u)

    return trace_fn


def sine_chain(omegas, slopes, biases=None):
    """A toy chain of single sine units: ``a_0 = t``, ``a_i = sin(ω_i · (s_i · a_{i-1} + b_i))``.

    Returns:
        ``phase_fn`` for :func:`phase_density`: ``t [K]`` → ``[K, layers]``, every layer's
        phase ``u_i = ω_i · (s_i · a_{i-1} + b_i)``.
    """
    biases = [0.0] * len(omegas) if biases is None else biases

    def phase_fn(t: Tensor) -> Tensor:
        a, phases = t, []
        for omega, slope, bias in zip(omegas, slopes, biases, strict=True):
            u = omega * (slope * a + bias)
            phases.append(u)
            a = torch.sin(u)
        return torch.stack(phases, -1)

    return phase_fn


def trace(phase_fn, t: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Activations ``a = sin(u(t))`` and their derivatives ``a'(t)``, each ``[K, units]``."""
    with torch.no_grad():
        u, du = torch.func.jvp(phase_fn, (t,), (torch.ones_like(t),))
    return torch.sin(u).numpy(), (torch.cos(u) * du).numpy()


def stationary_points(
    model: Decoder, z: Tensor, rate_factor: float = 8.0, chunk: int = 8192
) -> Stationary:
    """Stationary-point densities of every hidden unit of an INR for one latent.

    The units are traced by the model itself (:meth:`cinr_lab.decoder.Decoder.unit_trace`), so a
    new activation is analysed as what it is.

    Args:
        model: a decoder with units along time (a :class:`cinr_lab.pcinr.PCINR`, any activation).
        z: ``[latent_dim]`` or ``[1, latent_dim]``, the note's latent.
        rate_factor: grid density relative to the training rate (the count needs it well above
            the units' fastest stationary points; 8 = 128 kHz for 16 kHz clips).
        chunk: grid points per pass.

    Returns:
        :class:`Stationary` with ``[layers, hidden]`` arrays.

    Raises:
        ValueError: the model has no units along time (a TCNN), or the grid is too coarse.
    """
    if rate_factor < 8:
        raise ValueError(
            f"rate_factor must be at least 8 (the grid must resolve a'), got {rate_factor}"
        )
    z = z.reshape(1, -1).to(next(model.parameters()).device)
    trace_fn, scales = model.unit_trace(z)
    t = models.grid(model.config.samples, rate_factor)
    with torch.no_grad():
        measured, analytic = unit_density(trace_fn, t, chunk)
    shape = (scales.shape[0], -1)
    omega = scales.double().cpu().numpy()
    return Stationary(measured.reshape(shape), analytic.reshape(shape), omega, 2.0, len(t))


# --------------------------------------------------------------------------- super-resolution


def energy_above(wave: np.ndarray, rate: int, cutoff: float = NSYNTH_RATE / 2) -> np.ndarray:
    """Share of each clip's energy above ``cutoff`` Hz (``[..., samples]`` → ``[...]``)."""
    bands = band_energy(wave, rate, (0.0, cutoff, rate / 2))
    return bands[..., 1] / np.maximum(bands.sum(-1), np.finfo(np.float64).tiny)


def superres(run: rendering.Run, item: int, factors=(2, 4)) -> dict[int, np.ndarray]:
    """One note of a PCINR run rendered at its training rate and ``factors`` × it.

    Returns:
        ``{rate: [samples · rate / 16000]}``, the training rate first.
    """
    rates = [NSYNTH_RATE] + [int(NSYNTH_RATE * f) for f in factors]
    return {rate: run.render([item], rate)[0].numpy() for rate in rates}


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """The truth at another rate by band-limited resampling (librosa, soxr): what "simple
    resampling" gives, with nothing above the original Nyquist frequency."""
    import librosa

    return librosa.resample(np.asarray(wave, np.float32), orig_sr=rate, target_sr=target)


# --------------------------------------------------------------------------- along training


def pitches(notes: list[str]) -> np.ndarray:
    """MIDI pitches of NSynth note names (``keyboard_acoustic_004-060-100`` → 60)."""
    return np.array([int(name.rsplit("-", 2)[1]) for name in notes])


def yardsticks(notes: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """What a set's notes hold on their own: the scales :func:`probe`'s hiss measures are read
    against (notebooks 04 and 07's curves along training, :func:`cinr_lab.claims.along`).

    Args:
        notes: ``[notes, samples]`` at :data:`NSYNTH_RATE`.
        names: their NSynth names (for their pitch).

    Returns:
        ``{"own": the notes' median share of energy above HF_CUTOFF, "between": their median
        energy between the harmonics above it (the error of predicting silence there), "silence":
        silence's MSE, mean over notes}``.
    """
    from cinr_lab import metrics

    f0 = midi_hz(pitches(list(names)))
    silent = np.zeros_like(notes)
    return {
        "own": float(np.median(energy_above(notes, NSYNTH_RATE, HF_CUTOFF))),
        "between": float(np.median(between_harmonics(notes, silent, f0, cutoff=HF_CUTOFF))),
        "silence": float(metrics.mse(notes, silent).mean()),
    }


def probe(run: rendering.Run, truth: np.ndarray) -> dict:
    """How well ``run`` fits its notes and how much it hisses, in one record.

    Returns:
        ``{"step", "snr" (mean per-note dB), "mse" (mean summed), "hf_excess" (median,
        :func:`hf_excess`), "between" and "between_hf" (median error energy between the
        harmonics, whole band and above 4 kHz: :func:`between_harmonics`), "density" (per
        layer, the mean over units of the first note's stationary-point density lower bound;
        ``None`` for a decoder without units along time)}``.
    """
    from cinr_lab import metrics

    recon = run.render().numpy()
    f0 = midi_hz(pitches(run.notes))
    density = None
    if run.model.continuous:
        points = stationary_points(run.model, run.latents[0])
        density = [float(x) for x in points.lower_bound.mean(1)]
    return {
        "step": run.step,
        "snr": float(metrics.snr(truth, recon).mean()),
        "mse": float(metrics.mse(truth, recon).mean()),
        "hf_excess": float(np.median(hf_excess(truth, recon))),
        "between": float(np.median(between_harmonics(truth, recon, f0))),
        "between_hf": float(np.median(between_harmonics(truth, recon, f0, cutoff=HF_CUTOFF))),
        "density": density,
    }


def along_training(path, truth: np.ndarray | None = None) -> list[dict]:
    """:func:`probe` at the run's initialisation, at each of its snapshots, and at its end.

    Args:
        path: a run folder (its snapshots: ``TrainConfig.snapshots``).
        truth: its notes (default: read from the run's data).

    Returns:
        Records in step order.
    """
    final = rendering.load_run(path, device="cpu")
    truth = final.truth() if truth is None else truth
    steps = [0, *(k for k in runfolder.snapshot_steps(path) if k < final.step)]
    return [probe(rendering.load_run(path, "cpu", k), truth) for k in steps] + [probe(final, truth)]
