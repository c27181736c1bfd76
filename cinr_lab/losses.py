"""Training losses: the paper's summed squared error and a multi-resolution STFT loss.

The multi-resolution STFT loss is auraloss's (Steinmetz & Reiss, 2020): per scale, spectral
convergence plus the L1 distance of log magnitudes, averaged over scales. Its window sizes follow
the paper, 4096 down to 128 with 75 % overlap; scales longer than the signal are left out (a PCINR
batch of K coordinates per note is a K-sample signal).
"""

from __future__ import annotations

import functools

from torch import Tensor

STFT_SCALES = (4096, 2048, 1024, 512, 256, 128)
"""Window sizes of the multi-resolution STFT loss; hop = window / 4."""


def summed_squared_error(pred: Tensor, target: Tensor) -> Tensor:
    """The paper's "MSE": squared error summed over each clip's samples.

    Args:
        pred, target: ``[B, samples]``.

    Returns:
        ``[B]``; average it over notes for the paper's number.
    """
    return (pred - target).pow(2).sum(dim=-1)


@functools.cache
def _stft_loss(scales: tuple[int, ...], device: str):
    import auraloss

    return auraloss.freq.MultiResolutionSTFTLoss(
        fft_sizes=list(scales), hop_sizes=[s // 4 for s in scales], win_lengths=list(scales)
    ).to(device)


def multi_stft_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Multi-resolution STFT loss of ``pred`` vs ``target`` (``[B, samples]`` each), a scalar."""
    scales = tuple(s for s in STFT_SCALES if s <= pred.shape[-1])
    if not scales:
        raise ValueError(f"signals of {pred.shape[-1]} samples are shorter than every STFT scale")
    return _stft_loss(scales, str(pred.device))(pred.unsqueeze(1), target.unsqueeze(1))
