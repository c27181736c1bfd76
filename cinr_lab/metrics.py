"""The paper's three metrics, and its two baselines.

All metrics are pure functions of two arrays of equal shape, ``[notes, samples]`` (or one clip,
``[samples]``), 16 kHz floats in [-1, 1]; each returns one value per note (average them for the
paper's table). Definitions:

* **MSE** (the paper's): squared error summed over a clip's samples, ``Σ_n (x_n - y_n)²``.
* **Multi-STFT MSE** (the paper's objective, named "MSE" for historical reasons although it is a
  mean *absolute* difference): for each window size ``s`` in 4096, 2048, 1024, 512, 256, 128,
  the normalised STFT (Hann window of ``s`` samples, hop ``s/4``, centred frames with reflect
  padding, each frame's DFT divided by ``√s``); the mean over bins and frames of
  ``| |X| - |Y| |``; summed over the six scales. Scales longer than the clip are left out.
* **SNR** (ours, not the paper's): per note ``10 · log10(Σ x² / Σ (x − y)²)`` in dB, so every
  note counts alike; the paper's summed MSE is dominated by its loudest notes. Average the
  per-note values (in dB) for a set. ``SNR_EPS`` keeps a perfect or silent clip finite.
* **CDPAM** (Manocha et al., 2021), a learned perceptual distance, through the ``cdpam`` package
  (``pip install .[cdpam]``): both clips resampled to 22050 Hz with soxr and scaled to the 16-bit
  range (× 32768), as CDPAM was trained. Lower is closer. Its weights are checked against a
  pinned SHA-256 before they are loaded.

Baselines, the paper's last two rows: :func:`silence` (zeros) and :func:`noise` (white noise).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import soxr
import torch

from cinr_lab.audio import NSYNTH_RATE

STFT_SCALES = (4096, 2048, 1024, 512, 256, 128)
"""Window sizes of the multi-STFT metric; hop = window / 4."""

CDPAM_RATE = 22050
CDPAM_WEIGHTS = "CDPAM_trained/scratchJNDdefault_best_model.pth"
CDPAM_SHA256 = "453c8b6edee1a94f0120236156436ff28fe4d8d884485e4a67695c8e8570bdfe"
"""SHA-256 of the weights that cdpam 0.0.6 ships; any other file is refused."""

NOISE_STD = 0.25
"""Standard deviation of the noise baseline: the paper's noise MSE of ~1e3 over 16000 samples."""


class MetricError(ValueError):
    """The inputs of a metric are unusable (shapes, values, rates)."""


class CDPAMUnavailable(RuntimeError):
    """The optional ``cdpam`` package is not installed."""


def _pair(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check and promote two inputs to float64 ``[notes, samples]``."""
    ref, est = np.asarray(ref), np.asarray(est)
    if ref.shape != est.shape:
        raise MetricError(f"shapes differ: reference {ref.shape}, estimate {est.shape}")
    if ref.ndim not in (1, 2):
        raise MetricError(f"expected [samples] or [notes, samples], got shape {ref.shape}")
    if ref.size == 0:
        raise MetricError("empty input")
    for name, x in (("reference", ref), ("estimate", est)):
        if not np.isfinite(x).all():
            raise MetricError(f"{name} holds NaN or infinite values")
    return np.atleast_2d(ref).astype(np.float64), np.atleast_2d(est).astype(np.float64)


def mse(ref: np.ndarray, est: np.ndarray) -> np.ndarray:
    """The paper's MSE: squared error summed over samples. Returns ``[notes]``."""
    ref, est = _pair(ref, est)
    return ((ref - est) ** 2).sum(axis=1)


SNR_EPS = 1e-10
"""Added to both energies of :func:`snr` (a perfect reconstruction scores ~100 dB, not ∞)."""


def snr(ref: np.ndarray, est: np.ndarray) -> np.ndarray:
    """Signal-to-noise ratio per note in dB, ``10 log10(Σx² / Σ(x − y)²)``. Returns ``[notes]``.

    0 dB is what silence scores; every 10 dB is a tenfold smaller error energy.
    """
    ref, est = _pair(ref, est)
    signal = (ref**2).sum(axis=1) + SNR_EPS
    return 10 * np.log10(signal / (((ref - est) ** 2).sum(axis=1) + SNR_EPS))


def multi_stft_mse(ref: np.ndarray, est: np.ndarray) -> np.ndarray:
    """The paper's multi-STFT distance (see the module docstring). Returns ``[notes]``."""
    ref, est = _pair(ref, est)
    scales = [s for s in STFT_SCALES if s < ref.shape[1]]
    if not scales:
        raise MetricError(f"clips of {ref.shape[1]} samples are shorter than every STFT scale")
    x, y = torch.from_numpy(ref), torch.from_numpy(est)
    total = torch.zeros(len(ref), dtype=torch.float64)
    for s in scales:
        window = torch.hann_window(s, dtype=torch.float64)

        def mag(a, s=s, window=window):
            spec = torch.stft(a, s, s // 4, window=window, normalized=True, return_complex=True)
            return spec.abs()

        total += (mag(x) - mag(y)).abs().mean(dim=(1, 2))
    return total.numpy()


# --------------------------------------------------------------------------- CDPAM


def cdpam_available() -> bool:
    """Whether the optional ``cdpam`` package is installed."""
    return importlib.util.find_spec("cdpam") is not None


@functools.cache
def _cdpam_model():
    if not cdpam_available():
        raise CDPAMUnavailable("CDPAM needs the optional cdpam package: pip install '.[cdpam]'")
    from cdpam.models import FINnet  # the package's own network definition

    weights = Path(importlib.util.find_spec("cdpam").origin).parent / CDPAM_WEIGHTS
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != CDPAM_SHA256:
        raise CDPAMUnavailable(f"{weights}: SHA-256 {digest} is not the pinned {CDPAM_SHA256}")
    model = FINnet(
        dev=torch.device("cpu"),
        encoder_layers=16,
        encoder_filters=64,
        ndim=[16, 6],
        classif_dp=0.05,
        classif_BN=0,
        classif_act="no",
        input_size=512,
    )  # fmt: skip  (the hyperparameters of cdpam.CDPAM)
    # The file is a legacy (pre-zip) pickle that weights_only loading cannot parse. Its hash is
    # pinned above, so this one file, and only it, is unpickled in full.
    state = torch.load(weights, map_location="cpu", weights_only=False)["state"]
    model.load_state_dict(state)
    return model.eval()


def cdpam(
    ref: np.ndarray, est: np.ndarray, rate: int = NSYNTH_RATE, batch: int = 8, progress: bool = True
) -> np.ndarray:
    """CDPAM distance per note (about 1 s per one-second pair on 2 CPU cores).

    Args:
        ref, est: ``[notes, samples]`` floats in [-1, 1] at ``rate``.
        rate: their sample rate (resampled to 22050 Hz here).
        batch: pairs per forward pass.
        progress: show a progress bar.

    Returns:
        ``[notes]``.

    Raises:
        CDPAMUnavailable: the ``cdpam`` package is not installed or its weights do not match.
    """
    from tqdm.auto import tqdm

    ref, est = _pair(ref, est)
    model = _cdpam_model()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)

    def prepare(x):
        x = soxr.resample(x.T, rate, CDPAM_RATE, quality="HQ").T if rate != CDPAM_RATE else x
        return torch.from_numpy(np.round(x * 32768)).float().to(device)

    def embed(x):
        _, z, _ = model.base_encoder.forward(prepare(x).unsqueeze(1))
        return torch.nn.functional.normalize(z, dim=1)

    out = []
    starts = range(0, len(ref), batch)
    with torch.no_grad():
        for i in tqdm(starts, desc="CDPAM", disable=None if progress else True, mininterval=1.0):
            a, b = ref[i : i + batch], est[i : i + batch]
            key = (hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest(), a.shape, rate)
            if key not in _REFERENCE_EMBEDDINGS:  # the truth is embedded once per session
                if len(_REFERENCE_EMBEDDINGS) >= _REFERENCE_CACHE:
                    _REFERENCE_EMBEDDINGS.pop(next(iter(_REFERENCE_EMBEDDINGS)))
                _REFERENCE_EMBEDDINGS[key] = embed(a)
            za, zb = _REFERENCE_EMBEDDINGS[key].to(device), embed(b)
            out.append(model.model_dist.forward(za, zb).reshape(-1).cpu().double())
    return torch.cat(out).numpy()


_REFERENCE_CACHE = 256
"""Batches of reference clips whose CDPAM embeddings are kept: a study scores every run against
the same truth, so each of its batches is embedded once (half of CDPAM's cost after the first)."""
_REFERENCE_EMBEDDINGS: dict[tuple, torch.Tensor] = {}


# --------------------------------------------------------------------------- baselines


def silence(ref: np.ndarray) -> np.ndarray:
    """The silence baseline: zeros shaped like ``ref``."""
    return np.zeros_like(np.asarray(ref, np.float32))


def noise(ref: np.ndarray, seed: int = 0) -> np.ndarray:
    """The noise baseline: white Gaussian noise, ``σ = NOISE_STD``, clipped to [-1, 1]."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.0, NOISE_STD, np.shape(ref)), -1, 1).astype(np.float32)


def evaluate(
    ref: np.ndarray,
    est: np.ndarray,
    with_cdpam: bool | None = None,
    rate: int = NSYNTH_RATE,
    progress: bool = True,
    cdpam_items: int | None = None,
) -> dict[str, np.ndarray]:
    """All metrics per note: ``{"mse": ..., "snr": ..., "multi_stft": ..., "cdpam": ...}``.

    ``with_cdpam=None`` computes CDPAM when the package is installed and leaves it out otherwise;
    ``cdpam_items=n`` computes it on the first ``n`` notes only (it is the slow one).
    """
    ref, est = np.atleast_2d(ref), np.atleast_2d(est)
    out = {"mse": mse(ref, est), "snr": snr(ref, est), "multi_stft": multi_stft_mse(ref, est)}
    if with_cdpam or (with_cdpam is None and cdpam_available()):
        n = cdpam_items or len(ref)
        out["cdpam"] = cdpam(ref[:n], est[:n], rate=rate, progress=progress)
    return out
