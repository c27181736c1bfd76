"""Parallel sub-networks: the paper's untested suggestion against the PCINR's high-frequency noise.

The paper ends by suggesting that "implementing INRs as parallel subnetworks could counter" the
locally inconsistent signal propagation it blames on the dense stationary points of deep
``sin(ω·x)`` chains. :class:`ParallelPCINR` builds that: ``P`` shallow FiLM-SIRENs on the same
coordinate and latent, their last hidden layers mixed by one learned linear output::

    f(t; z) = Σ_p w_p · h_p,L(t) + b
    h_p,i = σ(W_p,i h_p,i-1 + b_p,i; ω_i + γ_p, β_p),   h_p,0 = t

Each branch ``p`` has its own FiLM pair ``(γ_p, β_p)`` of width ``hidden`` from one shared mapping
network (π-GAN's, as :class:`cinr_lab.pcinr.MappingNetwork`), shared by the branch's layers as
the paper's code shares one pair across all layers. Every layer is initialised as the PCINR's
(:class:`cinr_lab.pcinr.FiLMLayer`: SIREN's rule, the paper's ``U(0, 2π)`` biases, weight
normalisation when ``weight_norm``); the output weights as the PCINR's output layer. Depth per
branch is ``config.layers`` (2–3 keeps each chain shallow), width ``config.hidden``, and
``config.branches`` is ``P``. The preset ``pcinr-parallel`` (4 branches of depth 3 × 172) has
``pcinr``'s size to 0.1 %, but spends more of it on the mapping network (551 k, for 4 FiLM pairs)
and less on the sine layers (242 k, against the PCINR's 463 k): at equal size, parallel branches
cost modulation width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cinr_lab.pcinr import PCINR


class ParallelPCINR(PCINR):
    """``config.branches`` shallow FiLM-SIRENs summed by a learned linear output (see the module).

    ``self.layers`` holds every FiLM layer, branch by branch (branch ``p``'s layer ``i`` at
    ``p · layers + i``), so training, weight regularisation, ω scaling and the analysis treat it
    as the PCINR's.
    """

    def __init__(self, config):
        nn.Module.__init__(self)
        self.config = c = config
        self.film_layers = c.branches  # one (γ, β) pair per branch
        self.mapping = self.mapping_network(c.hidden * c.branches)
        self.layers = nn.ModuleList(
            self.film_layer(i) for _ in range(c.branches) for i in range(c.layers)
        )
        self.head = self.output_layer(c.hidden * c.branches)
        if c.freeze_mapping:
            self.mapping.requires_grad_(False)

    def modulation(self, z: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Per-layer ``(γ, β)`` in the order of ``self.layers``, each ``[B, 1, hidden]``."""
        gamma, beta = self.mapping(z)
        gammas = gamma.unsqueeze(1).chunk(self.config.branches, dim=-1)
        betas = beta.unsqueeze(1).chunk(self.config.branches, dim=-1)
        return [
            (gammas[p], betas[p])
            for p in range(self.config.branches)
            for _ in range(self.config.layers)
        ]

    def _branches(self, items: list) -> list[list]:
        """``items`` in the order of ``self.layers``, split into one list per branch."""
        n = self.config.layers
        return [items[p * n : (p + 1) * n] for p in range(self.config.branches)]

    def forward(self, z: Tensor, t: Tensor, return_hidden: bool = False):
        """Amplitudes at coordinates ``t`` (``[B, K]`` or ``[K]``) for latents ``z``; ``[B, K]``.

        With ``return_hidden`` also every FiLM layer's output, in the order of ``self.layers``.
        """
        return self.decode(self.modulation(z), t, return_hidden)

    def decode(self, modulation: list[tuple[Tensor, Tensor]], t: Tensor, return_hidden=False):
        """:meth:`forward` given the mapping network's output (``modulation(z)``)."""
        if t.dim() == 1:
            t = t.expand(modulation[0][0].shape[0], -1)
        hidden, last = [], []
        for layers, branch in zip(
            self._branches(list(self.layers)), self._branches(modulation), strict=True
        ):
            h = t.unsqueeze(-1)
            for layer, (gamma, beta) in zip(layers, branch, strict=True):
                h = layer(h, gamma, beta)
                hidden.append(h)
            last.append(h)
        out = self.head(torch.cat(last, dim=-1)).squeeze(-1)
        return (out, hidden) if return_hidden else out

    def unit_trace(self, z: Tensor):
        """Every unit along ``t`` for one latent: ``[layers, branches · hidden]`` (layer ``i`` of
        every branch side by side), computed by the layers themselves."""
        with torch.no_grad():
            modulation = [(g[0, 0], b[0, 0]) for g, b in self.modulation(z)]
        scales = [layer.omega + g for layer, (g, _) in zip(self.layers, modulation, strict=True)]
        branches = list(
            zip(
                self._branches(list(self.layers)),
                self._branches(scales),
                self._branches(modulation),
                strict=True,
            )
        )

        def fn(t: Tensor) -> tuple[Tensor, Tensor]:
            phases = [[] for _ in range(self.config.layers)]
            outs = [[] for _ in range(self.config.layers)]
            for layers, branch_scales, branch_modulation in branches:
                h = t.unsqueeze(-1)
                for i, (layer, scale, (_, beta)) in enumerate(
                    zip(layers, branch_scales, branch_modulation, strict=True)
                ):
                    x, act = layer.pre(h), layer.activation
                    phases[i].append(
                        act.phase(x, scale, beta) if act.periodic else torch.full_like(x, torch.nan)
                    )
                    h = act(x, scale, beta)
                    outs[i].append(h)
            return (
                torch.cat([u for layer in phases for u in layer], -1),
                torch.cat([a for layer in outs for a in layer], -1),
            )

        per_layer = [torch.cat(s) for s in zip(*self._branches(scales), strict=True)]
        return fn, torch.stack(per_layer)
