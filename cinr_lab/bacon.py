"""A band-limited conditional INR: BACON's multiplicative filter network under FiLM.

BACON (Lindell et al., CVPR 2022) builds an INR whose spectrum is known analytically: a
multiplicative filter network (MFN; Fathony et al., ICLR 2021) multiplies, layer by layer, a
linear map of the previous layer by a fresh sine filter of the coordinate::

    h_0 = g_0(t)
    h_i = g_i(t) ⊙ ((1 + γ) ⊙ (W_i h_{i-1} + b_i)),     i = 1 … L-1
    f(t; z) = w · h_{L-1} + b
    g_i(t) = sin(π f_i t + φ_i + β)

With ``t`` in [-1, 1) spanning one second, ``sin(π f t)`` has frequency ``f`` Hz. A product of
sines is a sum of sines at the sums and differences of their frequencies, so every output
frequency is ``|±f_0 ± f_1 … ± f_{L-1}| ≤ Σ_i max |f_i|``: drawing each filter's frequencies from
``U(±band / L)`` bounds the whole spectrum by ``band`` Hz, whatever the weights and the latent.
``band_hz = 8000`` is the Nyquist frequency of 16 kHz audio, so the model cannot make energy above
it, and can only hiss below it. Filter frequencies are fixed (buffers, as BACON's), phases ``φ_i``
trained (``U(±π)`` at start); linear layers as the MFN's, ``W ~ U(±1/√hidden)``, no weight norm.

Conditioning keeps the spectrum bounded: π-GAN's mapping network (:class:`cinr_lab.pcinr.
MappingNetwork`, one shared pair as the paper's code) gives a phase shift ``β`` added to every
filter's phase (the sine's shift, as in the PCINR) and an amplitude ``1 + γ`` on the linear
outputs (the PCINR's γ scales a frequency, which here would unbound the spectrum). One
simplification against BACON: one output at the last layer, not one per scale. The preset
``bacon`` (8 layers × 256) has ``pcinr``'s size to within 0.5 %.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from cinr_lab.pcinr import PCINR


class Filter(nn.Module):
    """``g(t) = sin(π f t + φ + β)`` per unit: fixed frequencies ``f`` (Hz), trained phases."""

    def __init__(self, units: int, max_hz: float):
        super().__init__()
        self.register_buffer("hz", torch.empty(units).uniform_(-max_hz, max_hz))
        self.phase = nn.Parameter(torch.empty(units).uniform_(-math.pi, math.pi))

    def forward(self, t: Tensor, beta: Tensor) -> Tensor:
        """``t [B, K]``, ``beta [B, 1, units]`` → ``[B, K, units]``."""
        return torch.sin(math.pi * self.hz * t.unsqueeze(-1) + self.phase + beta)


class BandLimitedINR(PCINR):
    """BACON-style conditional MFN, band-limited to ``config.band_hz`` (see the module)."""

    def __init__(self, config):
        nn.Module.__init__(self)
        self.config = c = config
        self.film_layers = 1
        self.mapping = self.mapping_network(c.hidden)
        self.filters = nn.ModuleList(
            Filter(c.hidden, c.band_hz / c.layers) for _ in range(c.layers)
        )
        self.linears = nn.ModuleList(nn.Linear(c.hidden, c.hidden) for _ in range(c.layers - 1))
        bound = 1 / math.sqrt(c.hidden)
        with torch.no_grad():
            for linear in self.linears:
                linear.weight.uniform_(-bound, bound)
        self.head = self.output_layer(c.hidden)
        if c.freeze_mapping:
            self.mapping.requires_grad_(False)

    def band_limit(self) -> float:
        """The highest frequency the model can make, in Hz: ``Σ_i max |f_i|``."""
        return float(sum(f.hz.abs().max() for f in self.filters))

    def _units(self, t: Tensor, gamma: Tensor, beta: Tensor) -> list[Tensor]:
        """Every layer's units ``[B, K, hidden]`` at ``t [B, K]``, modulation ``[B, 1, hidden]``."""
        h = self.filters[0](t, beta)
        hidden = [h]
        for filt, linear in zip(self.filters[1:], self.linears, strict=True):
            h = filt(t, beta) * ((1 + gamma) * linear(h))
            hidden.append(h)
        return hidden

    def forward(self, z: Tensor, t: Tensor, return_hidden: bool = False):
        """Amplitudes at coordinates ``t`` (``[B, K]`` or ``[K]``) for latents ``z``; ``[B, K]``.

        With ``return_hidden`` also every layer's units ``h_i``.
        """
        return self.decode(self.modulation(z), t, return_hidden)

    def modulation(self, z: Tensor) -> list[tuple[Tensor, Tensor]]:
        """One ``(γ, β)`` pair, each ``[B, 1, hidden]``, shared by every layer."""
        gamma, beta = self.mapping(z)
        return [(gamma.unsqueeze(1), beta.unsqueeze(1))]

    def decode(self, modulation: list[tuple[Tensor, Tensor]], t: Tensor, return_hidden=False):
        """:meth:`forward` given the mapping network's output (``modulation(z)``)."""
        ((gamma, beta),) = modulation
        if t.dim() == 1:
            t = t.expand(gamma.shape[0], -1)
        hidden = self._units(t, gamma, beta)
        out = self.head(hidden[-1]).squeeze(-1)
        return (out, hidden) if return_hidden else out

    def regularised_weights(self) -> list[Tensor]:
        return [linear.weight for linear in self.linears] + [self.head.weight]

    def scales(self) -> list[nn.Module]:
        return []  # fixed filter frequencies: no ω to multiply without breaking the band limit

    def unit_trace(self, z: Tensor):
        """Every layer's units ``h_i`` along ``t`` for one latent (no sine phase: NaN), and each
        unit's filter frequency in radians per unit of ``t`` (``π f``) as its scale."""

        with torch.no_grad():
            gamma, beta = self.mapping(z)

        def fn(t: Tensor) -> tuple[Tensor, Tensor]:
            units = self._units(t.unsqueeze(0), gamma.unsqueeze(1), beta.unsqueeze(1))
            out = torch.cat(units, -1)[0]
            return torch.full_like(out, torch.nan), out

        return fn, torch.stack([math.pi * f.hz for f in self.filters])

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        inr = [
            p
            for m in (self.filters, self.linears, self.head)
            for p in m.parameters()
            if p.requires_grad
        ]
        return {"inr": inr, "mapping": [p for p in self.mapping.parameters() if p.requires_grad]}
