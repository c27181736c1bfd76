"""Synthesis block by block: what a real-time host asks of a conditional INR.

A PCINR computes every sample independently from its time coordinate, so a clip can be rendered
in consecutive blocks as a host's audio callback asks for them: the latent's conditioning (the
mapping network) is computed once, then each block evaluates the INR on that block's time
coordinates only. The latency is one block.

    from cinr_lab import pretrained
    from cinr_lab.ops import synth

    model = pretrained.load("pcinr-keyboard")
    for block in synth.render_stream(model.model, model.latents[:1], block=1024):
        ...  # [1, 1024] float32, the next 64 ms of the note
"""

# No ``from __future__ import annotations``: TorchScript reads ScriptedSynth's annotations.
import copy
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

from cinr_lab import checks
from cinr_lab.atomic import atomic_path
from cinr_lab.decoder import Decoder, grid


def render_stream(
    model: Decoder, z: Tensor, block: int = 1024, rate_factor: float = 1.0
) -> Iterator[Tensor]:
    """Consecutive blocks of the clips of latents ``z [B, latent_dim]``.

    Args:
        model: a decoder; a continuous one is evaluated block by block, another (a TCNN, which
            makes the whole clip at once) renders the clip once and hands it out in blocks.
        block: samples per block (any size ≥ 1; the last block holds what is left).
        rate_factor: render at this multiple of the training rate (continuous decoders only).

    Yields:
        ``[B, n]`` float32 blocks on the model's device, ``n = block`` but for the last; joined
        they are :meth:`Decoder.render`'s clip to float32 rounding (a continuous decoder: within
        1e-5; a matrix multiply's summation order depends on the block's shape).
    """
    checks.integer("block", block, minimum=1)
    with torch.no_grad():
        if not model.continuous:
            whole = model.render(z, rate_factor)  # refuses rate_factor != 1
            yield from whole.split(block, dim=-1)
            return
        fn = model.conditioned(z)  # the mapping network, once per latent
        t = grid(model.config.samples, rate_factor, z.device)
        for start in range(0, len(t), block):
            yield fn(t[start : start + block])


# --------------------------------------------------------------------------- the exported synth

EXPORTABLE = {"kind": ("pcinr",)}
"""What :func:`torchscript` can export: the PCINR's single chain of FiLM layers (the paper's
PCINR, Wide, WR, ours, FINER, Gaussian, shift-only; any activation of
:data:`cinr_lab.activations.ACTIVATIONS`); not the parallel branches, BACON or a TCNN."""


class _FoldedLayer(nn.Module):
    """A FiLM layer whose activation is a function of ``u = s · x + β``: the scale folded into
    each latent's weights, as :meth:`cinr_lab.pcinr.FiLMLayer.forward` does."""

    def __init__(self, linear: nn.Module, activation: nn.Module):
        super().__init__()
        self.linear, self.activation = _plain(linear), copy.deepcopy(activation)

    def forward(self, h: Tensor, scale: Tensor, beta: Tensor) -> Tensor:
        s = scale[:, 0, :]
        weight = s.unsqueeze(2) * self.linear.weight
        bias = (s * self.linear.bias + beta.expand_as(scale)[:, 0, :]).unsqueeze(1)
        return self.activation.of_affine(torch.baddbmm(bias, h, weight.transpose(1, 2)))


class _Layer(nn.Module):
    """A FiLM layer computing ``σ(W h + b; s, β)`` as it stands."""

    def __init__(self, linear: nn.Module, activation: nn.Module):
        super().__init__()
        self.linear, self.activation = _plain(linear), copy.deepcopy(activation)

    def forward(self, h: Tensor, scale: Tensor, beta: Tensor) -> Tensor:
        return self.activation(self.linear(h), scale, beta)


class ScriptedSynth(nn.Module):
    """A PCINR as a plain-PyTorch synth: latent (or note index), ω multipliers and a block of
    time in, audio out. Scripted by :func:`torchscript`; it needs nothing of ``cinr_lab`` to run.

    Every weight is copied as computed (weight normalisation folded in), and each layer's
    activation is the model's own module, scripted, in the library's order of operations, so the
    samples are the library's (tested).
    """

    samples: int
    film_layers: int
    shift_only: bool
    omegas: list[float]

    def __init__(self, model: Decoder, latents: Tensor):
        super().__init__()
        c = model.config
        self.samples, self.film_layers = c.samples, model.film_layers
        self.shift_only = c.modulation == "shift"
        self.mapping = copy.deepcopy(model.mapping.net)
        self.mapping_out = _plain(model.mapping.out)
        self.layers = nn.ModuleList(
            (_FoldedLayer if layer.activation.affine else _Layer)(layer.linear, layer.activation)
            for layer in model.layers
        )
        self.omegas = [float(layer.omega) for layer in model.layers]
        self.head = _plain(model.head)
        self.register_buffer("latents", latents.detach().clone().float().cpu())
        self.requires_grad_(False)

    @torch.jit.export
    def notes(self) -> int:
        """How many notes the latent table holds."""
        return self.latents.shape[0]

    @torch.jit.export
    def latent(self, index: int) -> Tensor:
        """Note ``index``'s latent ``[1, latent_dim]``."""
        return self.latents[index : index + 1]

    @torch.jit.export
    def times(self, start: int, block: int, rate_factor: float = 1.0) -> Tensor:
        """Time coordinates of samples ``start … start + block − 1`` at ``rate_factor`` × the
        training rate (a clip spans [-1, 1); past its end the model extrapolates)."""
        m = int(round(self.samples * rate_factor))
        n = torch.arange(start, start + block, dtype=torch.float32)
        return n * (2.0 / m) - 1.0

    def forward(
        self,
        z: Tensor,
        start: int = 0,
        block: int = 1024,
        omega_first: float = 1.0,
        omega_hidden: float = 1.0,
        rate_factor: float = 1.0,
    ) -> Tensor:
        """``block`` samples from sample ``start`` for latents ``z [B, latent_dim]``; ``[B, block]``

        ``omega_first`` / ``omega_hidden`` multiply the first / the other layers' ω (the
        explorer's sliders); ``rate_factor`` renders the continuous signal more densely.
        """
        t = self.times(start, block, rate_factor).to(z.device)
        h = t.expand(z.shape[0], -1).unsqueeze(-1)
        params = self.mapping_out(self.mapping(z))
        if self.shift_only:
            beta = params
            gamma = torch.zeros_like(beta)
        else:
            gamma, beta = params.chunk(2, dim=-1)
        gammas = gamma.unsqueeze(1).chunk(self.film_layers, dim=-1)
        betas = beta.unsqueeze(1).chunk(self.film_layers, dim=-1)
        for i, layer in enumerate(self.layers):
            omega = self.omegas[i] * (omega_first if i == 0 else omega_hidden)
            scale = omega + gammas[i % self.film_layers]
            h = layer(h, scale, betas[i % self.film_layers])
        return self.head(h).squeeze(-1)


def _plain(linear: nn.Module) -> nn.Linear:
    """A plain ``nn.Linear`` holding ``linear``'s effective weight (weight norm folded in)."""
    out = nn.Linear(linear.in_features, linear.out_features)
    with torch.no_grad():
        out.weight.copy_(linear.weight)
        out.bias.copy_(linear.bias)
    return out


def torchscript(model: Decoder, latents: Tensor) -> torch.jit.ScriptModule:
    """``model`` and its latent table as a scripted :class:`ScriptedSynth` (CPU, float32).

    Raises:
        ValueError: the model is not of an exportable kind (see :data:`EXPORTABLE`).
    """
    c = model.config
    for field, allowed in EXPORTABLE.items():
        if getattr(c, field) not in allowed:
            raise ValueError(
                f"cannot export a {field} {getattr(c, field)!r} model as a synth "
                f"(exportable {field}s: {', '.join(allowed)})"
            )
    model = copy.deepcopy(model).cpu().float().eval()
    with warnings.catch_warnings():
        # torch 2.13 deprecates scripting in favour of torch.export, but TorchScript is what
        # audio hosts load today (nn~, the Neutone SDK, libtorch in a plugin).
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        return torch.jit.script(ScriptedSynth(model, latents))


def export_torchscript(run, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a run's or model's synth (:func:`torchscript`) to ``path``, atomically.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is off.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass --overwrite or choose another --out")
    scripted = torchscript(run.model, run.latents)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        scripted.save(str(tmp))
    return path


__all__ = ["EXPORTABLE", "ScriptedSynth", "export_torchscript", "render_stream", "torchscript"]
