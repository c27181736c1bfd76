"""The TCNN baseline: WaveGAN's generator (Donahue et al., 2019) as an auto-decoder.

``z`` → dense → ``[16, 16·d]`` → five stages that each make the signal 4× longer (ReLU between,
``16·d → 8·d → 4·d → 2·d → d → 1`` channels) → tanh → 16384 samples → WaveGAN's learned
post-processing filter (one 1-D convolution of length 512) → cropped to the clip. It renders only
its native grid: one output per sample of the training clip.

Two builds (``ModelConfig.tcnn_upsample`` and ``ModelConfig.init``):

* the paper's code (``upsample=True`` in its ``WaveGANGenerator``): each stage is nearest-neighbour
  ×4 upsampling then ``Conv1d(k=25, stride 1, zero padding 12)``; the dense layer (and transposed
  convolutions, when used) Kaiming-normal, the convolutions PyTorch's default; a randomly
  initialised post-filter *with* bias applied "same" (pad 256 left, 255 right) to all 16384
  samples before the crop.
* ``init="v0"`` (cinr_lab 0.1): transposed convolutions ``ConvTranspose1d(k=25, s=4, padding=11,
  output_padding=1)``, PyTorch's default init, crop first, then an identity-initialised post-filter
  without bias padded 255 left, 256 right.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cinr_lab.decoder import Decoder


class UpsampleConv(nn.Module):
    """``y = Conv1d_k(pad_{k//2}(upsample_s(x)))``: nearest-neighbour ×s, then a stride-1 conv.

    The conv keeps PyTorch's default init (the paper's code re-initialises only dense and
    transposed-convolution weights).
    """

    def __init__(self, fan_in: int, fan_out: int, kernel: int, scale: int):
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv1d(fan_in, fan_out, kernel, padding=kernel // 2)

    def forward(self, x: Tensor) -> Tensor:
        """``[B, fan_in, n]`` → ``[B, fan_out, scale · n]``."""
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class TCNN(Decoder):
    """WaveGAN generator with ``d = config.tcnn_dim`` (see the module docstring for the builds).

    Not continuous: it renders its training grid only, and trains on whole clips.
    """

    paper_lr = 1e-4

    def __init__(self, config):
        super().__init__()
        self.config = config
        d, k, s = config.tcnn_dim, config.tcnn_kernel, config.tcnn_stride
        paper = config.init == "paper"
        self.dense = nn.Linear(config.latent_dim, 16 * 16 * d)
        chans = [16 * d, 8 * d, 4 * d, 2 * d, d, 1]
        pad = (k - s + 1) // 2
        self.convs = nn.ModuleList(
            UpsampleConv(a, b, k, s)
            if config.tcnn_upsample
            else nn.ConvTranspose1d(a, b, k, stride=s, padding=pad, output_padding=s - k + 2 * pad)
            for a, b in zip(chans[:-1], chans[1:], strict=True)
        )
        self.post = nn.Conv1d(1, 1, config.tcnn_post_filter, bias=paper)
        with torch.no_grad():
            if paper:
                for m in self.modules():
                    if isinstance(m, nn.Linear | nn.ConvTranspose1d):
                        nn.init.kaiming_normal_(m.weight)
            else:  # v0: a near-identity filter so early training is not blurred
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
        samples = self.config.samples
        if samples > self.length:
            raise ValueError(f"TCNN makes {self.length} samples; the clip has {samples}")
        x = F.relu(self.dense(z).view(z.shape[0], 16 * self.config.tcnn_dim, 16))
        for conv in self.convs[:-1]:
            x = F.relu(conv(x))
        x = torch.tanh(self.convs[-1](x))
        n = self.config.tcnn_post_filter
        if self.config.init == "paper":  # filter all 16384 samples, then crop
            return self.post(F.pad(x, (n // 2, (n - 1) // 2)))[:, 0, :samples]
        x = x[..., :samples]
        return self.post(F.pad(x, ((n - 1) // 2, n // 2))).squeeze(1)  # "same" length

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """All parameters in one group: the paper's code trains WaveGAN with one optimiser."""
        return {"inr": [p for p in self.parameters() if p.requires_grad], "mapping": []}
