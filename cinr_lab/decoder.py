"""What every decoder offers the rest of cinr_lab, so that no caller asks which kind it is.

Training, rendering, the explorer, the stationary-point analysis and the benchmarks talk to a
model only through :class:`Decoder`. A new model kind subclasses it (and registers a builder in
:data:`cinr_lab.models.BUILDERS`); a new INR activation is one entry of
:data:`cinr_lab.activations.ACTIVATIONS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import ClassVar

import torch
from torch import Tensor, nn


def grid(samples: int, rate_factor: float = 1.0, device=None) -> Tensor:
    """Time coordinates of a clip of ``samples`` samples, rendered ``rate_factor`` × as densely.

    Sample ``n`` of ``m = round(samples · rate_factor)`` lies at ``t = -1 + 2n/m``: the clip spans
    [-1, 1), and a denser grid covers the same span (for super-resolution).

    Returns:
        ``[m]`` float32.
    """
    m = round(samples * rate_factor)
    return torch.arange(m, device=device, dtype=torch.float32) * (2.0 / m) - 1.0


def strided_indices(gen: torch.Generator, batch: int, samples: int, k: int) -> Tensor:
    """``[batch, k]`` sample indices, ``k`` evenly spaced over the clip; random offset per row
    (the paper's coordinate sampling: every part of the clip in every step, a new phase each)."""
    stride = samples / k
    offset = torch.rand(batch, 1, generator=gen) * stride
    return (offset + torch.arange(k) * stride).long().clamp_(max=samples - 1)


class Decoder(nn.Module):
    """A conditional decoder: latents ``z [B, latent_dim]`` → audio.

    Subclasses set :attr:`continuous` and :attr:`paper_lr` and implement :meth:`forward`,
    :meth:`parameter_groups` and, where they apply, the optional capabilities below (the
    defaults say "not available" so a caller can ask, never guess from the kind).

    Attributes:
        config: the :class:`cinr_lab.models.ModelConfig` it was built from.
        continuous: it can be queried at any time coordinate (and so rendered at any rate).
        paper_lr: the paper code's learning rate for this kind of model (when a recipe has none).
    """

    continuous: ClassVar[bool] = False
    paper_lr: ClassVar[float] = 1e-4

    # -- what it renders

    def render(self, z: Tensor, rate_factor: float = 1.0) -> Tensor:
        """Clips for latents ``z [B, latent_dim]`` at ``rate_factor`` × the training rate.

        Raises:
            ValueError: the decoder is not continuous and ``rate_factor`` is not 1.
        """
        if self.continuous:
            return self(z, grid(self.config.samples, rate_factor, z.device).to(z.dtype))
        if rate_factor != 1.0:
            raise ValueError(
                f"a {type(self).__name__} renders only its training grid (one output per "
                "training sample); it cannot be queried at other coordinates or rates"
            )
        return self(z)

    def conditioned(self, z: Tensor) -> Callable[[Tensor], Tensor]:
        """The decoder with ``z``'s conditioning computed once: ``fn(t [K]) → [B, K]``.

        What :func:`cinr_lab.ops.synth.render_stream` queries block after block. This default runs
        the whole model per call; a decoder with a mapping network overrides it so the mapping
        runs once per latent.

        Raises:
            ValueError: the decoder is not continuous (it has no time coordinate to query).
        """
        if not self.continuous:
            raise ValueError(f"a {type(self).__name__} cannot be queried at time coordinates")
        return lambda t: self(z, t)

    # -- how a training batch's targets are sampled

    def points_per_note(self, coords: int) -> int:
        """Outputs evaluated per note and training step when a recipe asks for ``coords``."""
        return min(coords, self.config.samples) if self.continuous else self.config.samples

    def training_batch(
        self, target: Tensor, coords: int, gen: torch.Generator
    ) -> tuple[Callable[[Tensor], Tensor], Tensor, float]:
        """What one training step compares.

        Args:
            target: ``[B, samples]`` the batch's clips.
            coords: coordinates per note the recipe asks for (a continuous decoder samples
                them with :func:`strided_indices` from ``gen``; another renders the whole clip).
            gen: the run's generator (drawn from only when coordinates are sampled).

        Returns:
            ``(predict, target, scale)``: ``predict(z)`` gives the outputs matching ``target``
            (``[B, K]``), and ``scale`` turns a sum over the ``K`` points into an estimate of
            the sum over the whole clip.
        """
        samples = target.shape[1]
        if not self.continuous:
            return (lambda z: self(z)), target, 1.0
        idx = strided_indices(gen, target.shape[0], samples, min(coords, samples))
        idx = idx.to(target.device)
        t = grid(samples, device=target.device)[idx].to(target.dtype)
        return (lambda z: self(z, t)), target.gather(1, idx), samples / idx.shape[1]

    # -- what training touches

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters by part: ``"inr"`` (the decoder proper) and ``"mapping"``."""
        raise NotImplementedError

    def regularised_weights(self) -> list[Tensor]:
        """The weights v0's L2 weight regularisation (``--wr``) penalises; none by default."""
        return []

    # -- what the explorer and the analysis ask

    def scales(self) -> list[nn.Module]:
        """Layers with a scale ``omega`` the explorer may multiply (an attribute ``first`` marks
        a first layer; without it the first in the list is); none by default."""
        return []

    @contextlib.contextmanager
    def scaled(self, first: float = 1.0, hidden: float = 1.0) -> Iterator[None]:
        """Temporarily multiply the first layer's ``omega`` by ``first`` and the others' by
        ``hidden`` (the weights are untouched).

        Raises:
            ValueError: multipliers other than 1 for a decoder without scales.
        """
        layers = self.scales()
        if not layers and (first != 1.0 or hidden != 1.0):
            raise ValueError(f"a {type(self).__name__} has no scales ω to multiply")
        saved = [layer.omega for layer in layers]
        try:
            for i, layer in enumerate(layers):
                is_first = getattr(layer, "first", i == 0)
                layer.omega = saved[i] * (first if is_first else hidden)
            yield
        finally:
            for layer, omega in zip(layers, saved, strict=True):
                layer.omega = omega

    def unit_trace(self, z: Tensor) -> tuple[Callable[[Tensor], tuple[Tensor, Tensor]], Tensor]:
        """Every hidden unit as a function of time, for the stationary-point analysis.

        Args:
            z: ``[1, latent_dim]`` one note's latent.

        Returns:
            ``(fn, omega)``: ``fn(t [K])`` gives ``(phase, out)``, each ``[K, units]`` over all
            layers: ``out`` is each unit's output computed by the model's own layers and
            activation, ``phase`` the argument a periodic activation takes the sine of (NaN for
            an activation without one); ``omega [layers, units]`` each unit's effective scale.

        Raises:
            ValueError: the decoder has no units along time (e.g. a TCNN).
        """
        raise ValueError(f"a {type(self).__name__} has no units along time to analyse")
