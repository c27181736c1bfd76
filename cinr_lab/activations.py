"""Activations of the conditional INR's layers: the registry a new INR variant plugs into.

A FiLM layer of a conditional INR computes ``x = W h + b`` and then ``a = σ(x; s, β)``, where
``s = ω + γ`` is the layer's scale (its ``ω`` plus the FiLM frequency ``γ``) and ``β`` the FiLM
shift. An :class:`Activation` is ``σ`` together with the initialisation it needs. A new INR
variant is then one activation here (or none) plus one preset in :data:`cinr_lab.models.PRESETS`.

Periodic activations (``σ = sin(φ)``) also give their phase ``φ``, from which the
stationary-point analysis estimates ``∫ |φ'(t)| dt / π`` besides counting (see
:func:`cinr_lab.analysis.stationary_points`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class Activation(nn.Module):
    """``σ(x; s, β)`` of a FiLM layer and its initialisation. Subclasses implement the methods.

    An activation is a module without parameters, so the synth export
    (:func:`cinr_lab.ops.synth.torchscript`) scripts the same :meth:`forward` and
    :meth:`of_affine` the model trains with: the two must be TorchScript (tensor arithmetic).

    Attributes:
        name: its key in :data:`ACTIVATIONS`.
        periodic: ``σ = sin(φ(x; s, β))``, and :meth:`phase` gives ``φ``.
        first_layer: another activation for the first layer (fed by ``t``), or ``None``.
        affine: ``σ(x; s, β) = f(s · x + β)`` for a function :meth:`of_affine` of one argument;
            a FiLM layer may then fold ``s`` into its weights (see
            :meth:`cinr_lab.pcinr.FiLMLayer.forward`).
    """

    name: str = ""
    periodic: bool = False
    first_layer: str | None = None
    affine: bool = False

    def of_affine(self, u: Tensor) -> Tensor:
        """``f(u)`` for an affine activation, ``u = s · x + β``."""
        raise NotImplementedError(f"activation {self.name!r} is not a function of s · x + β")

    def forward(self, x: Tensor, scale: Tensor, shift: Tensor) -> Tensor:
        """The layer's output for pre-activations ``x``, scale ``s = ω + γ`` and shift ``β``."""
        raise NotImplementedError

    def phase(self, x: Tensor, scale: Tensor | float, shift: Tensor | float) -> Tensor:
        """``φ`` with ``σ = sin(φ)`` (periodic activations only)."""
        raise NotImplementedError(f"activation {self.name!r} is not periodic")

    def init_(self, linear: nn.Linear, omega: float, first: bool, init: str) -> None:
        """Draw ``linear``'s weights and bias in place for a layer of scale ``omega``."""
        raise NotImplementedError


class Sine(Activation):
    """SIREN's sine under π-GAN's FiLM: ``σ = sin(s · x + β)``, ``s = ω + γ``.

    Initialisation (Sitzmann et al. 2020): the first layer draws ``W ~ U(±1/fan_in)``, the others
    ``W ~ U(±√(6/fan_in)/ω)`` so that ``ω · W h`` keeps unit-order pre-activations through depth.
    ``init="paper"`` draws ``b ~ U(0, 2π)`` (the paper's "polar" bias; note that ``s`` multiplies
    it); ``"v0"`` keeps PyTorch's default bias.
    """

    name, periodic = "sine", True

    def phase(self, x, scale, shift):
        return scale * x + shift

    affine = True

    def of_affine(self, u):
        return torch.sin(u)

    def forward(self, x, scale, shift):
        return torch.sin(self.phase(x, scale, shift))

    def init_(self, linear, omega, first, init):
        fan_in = linear.in_features
        bound = 1 / fan_in if first else math.sqrt(6 / fan_in) / omega
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound)
            if init == "paper":
                linear.bias.uniform_(0, 2 * math.pi)


class Finer(Activation):
    """FINER's variable-periodic sine (Liu et al., CVPR 2024, arXiv 2312.02434) under FiLM:
    ``σ = sin(s · (|x| + 1) · x + β)``.

    The factor ``|x| + 1`` raises the local frequency with ``|x|``, so the bias range sets which
    frequencies a unit starts with. Initialisation: weights as SIREN's (see :class:`Sine`); biases
    ``U(±k)`` with ``k = FIRST_BIAS`` in the first layer (FINER's knob for the frequency range) and
    ``U(±1/√fan_in)`` elsewhere (FINER's code keeps PyTorch's default there).
    """

    name, periodic = "finer", True
    FIRST_BIAS = 1.0

    def phase(self, x, scale, shift):
        return scale * ((x.abs() + 1) * x) + shift

    def forward(self, x, scale, shift):
        return torch.sin(self.phase(x, scale, shift))

    def init_(self, linear, omega, first, init):
        Sine().init_(linear, omega, first, "v0")
        k = self.FIRST_BIAS if first else 1 / math.sqrt(linear.in_features)
        with torch.no_grad():
            linear.bias.uniform_(-k, k)


class Gaussian(Activation):
    """A Gaussian bump (Ramasinghe & Lucey, ECCV 2022) under FiLM: ``σ = exp(−(s · x + β)² / 2)``.

    Non-periodic: each unit has one maximum, at ``s · x = −β``, so a hidden layer adds far
    fewer stationary points than ``sin(ω · x)`` with large ω, the density the paper blames for
    the hiss. The width is ``1 / s`` in ``x`` (``s = ω + γ``: the scale ω sets it, as the
    Gaussian INR's ``a``). The first layer stays a sine (``first_layer``): it is the coordinate's
    frequency embedding (a Gaussian of ``t`` alone would be one bump per unit on a one-second
    clip), so the comparison changes only the hidden layers, where the paper places the problem.
    Initialisation: weights as SIREN's hidden layers (:class:`Sine`), so ``ω · W h`` is of unit
    order; biases ``U(±1/ω)``, so ``s · b`` is too (the sine's ``U(0, 2π)`` times ω would put
    every unit far in its tail).
    """

    name, first_layer, affine = "gaussian", "sine", True

    def of_affine(self, u):
        return torch.exp(-0.5 * u**2)

    def forward(self, x, scale, shift):
        return torch.exp(-0.5 * (scale * x + shift) ** 2)

    def init_(self, linear, omega, first, init):
        Sine().init_(linear, omega, first, "v0")
        with torch.no_grad():
            linear.bias.uniform_(-1 / omega, 1 / omega)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (Sine(), Finer(), Gaussian())}
"""Activations by name (``ModelConfig.activation``)."""


def get(name: str) -> Activation:
    """The activation ``name``; an unknown name is an error listing the known ones."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]
