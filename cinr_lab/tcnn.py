"""The TCNN baseline: WaveGAN's generator (Donahue et al., 2019) as an auto-decoder.

``z`` → dense → ``[16, 16·d]`` → five transposed 1-D convolutions (kernel 25, stride 4, ReLU
between, ``16·d → 8·d → 4·d → 2·d → d → 1`` channels) → tanh → 16384 samples, cropped to the clip,
then WaveGAN's learned post-processing filter (one 1-D convolution of length 512). It renders only
its native grid: one output per sample of the training clip.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class TCNN(nn.Module):
    """WaveGAN-style transposed-convolution generator with ``d = config.tcnn_dim``.

    Each layer ``ConvTranspose1d(k=25, s=4, padding=11, output_padding=1)`` multiplies the length
    by exactly 4 (16 → 16384). Default PyTorch initialisation.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        d, k, s = config.tcnn_dim, config.tcnn_kernel, config.tcnn_stride
        self.dense = nn.Linear(config.latent_dim, 16 * 16 * d)
        chans = [16 * d, 8 * d, 4 * d, 2 * d, d, 1]
        pad = (k - s + 1) // 2
        self.convs = nn.ModuleList(
            nn.ConvTranspose1d(a, b, k, stride=s, padding=pad, output_padding=s - k + 2 * pad)
            for a, b in zip(chans[:-1], chans[1:], strict=True)
        )
        self.post = nn.Conv1d(1, 1, config.tcnn_post_filter, bias=False)
        with torch.no_grad():  # start as a near-identity filter so early training is not blurred
            self.post.weight.zero_()
            self.post.weight[0, 0, (config.tcnn_post_filter - 1) // 2] = 1.0
        self.length = 16 * s**5

    def forward(self, z: Tensor, t: Tensor | None = None) -> Tensor:
        """The clip for each latent.

        Args:
            z: ``[B, latent_dim]``.
            t: must be ``None``: a TCNN has no coordinates to query.

        Returns:
            ``[B, samples]``.
        """
        if t is not None:
            raise ValueError(
                "a TCNN renders only its native grid (one output per training sample); "
                "it cannot be queried at other coordinates or rates"
            )
        if self.config.samples > self.length:
            raise ValueError(
                f"TCNN makes {self.length} samples; the clip has {self.config.samples}"
            )
        x = F.relu(self.dense(z).view(z.shape[0], 16 * self.config.tcnn_dim, 16))
        for conv in self.convs[:-1]:
            x = F.relu(conv(x))
        x = torch.tanh(self.convs[-1](x))[..., : self.config.samples]
        n = self.config.tcnn_post_filter
        return self.post(F.pad(x, ((n - 1) // 2, n // 2))).squeeze(1)  # "same" length
