"""The periodic conditional INR (PCINR): a FiLM-modulated SIREN, after π-GAN.

A mapping network turns a note's latent ``z`` into FiLM frequencies ``γ`` and phase shifts ``β``;
a SIREN maps each time coordinate ``t`` in [-1, 1) to an amplitude, every sine layer modulated by
them. One network thus represents a whole set of sounds, one latent per sound. The sine is the
default of :mod:`cinr_lab.activations`; another activation gives another conditional INR.

Two initialisations are built (``ModelConfig.init``):

* ``"paper"`` — the rules of the paper's code (the ``INR-collection`` 0.3 package's ``piGAN``):
  Kaiming-normal mapping network, sine biases ``U(0, 2π)``, an output layer drawn with a fixed
  ω = 30 in its bound. :mod:`tests.test_parity` checks outputs and gradients against the package.
* ``"v0"`` — what cinr_lab 0.1 built (PyTorch's default biases and mapping init, output bound with
  ``ω_hidden``), kept so the runs and shipped models made with it still load.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm as _weight_norm

from cinr_lab import activations
from cinr_lab.decoder import Decoder

OUTPUT_OMEGA = 30.0
"""The ω in the output layer's init bound in the paper's code, whatever ``ω_hidden`` is."""


def _maybe_weight_norm(linear: nn.Linear, enabled: bool) -> nn.Linear:
    """``W = g · V / ‖V‖`` per output row (Salimans & Kingma 2016), applied after init.

    ``g`` starts as ``‖V‖``, so the function at initialisation is unchanged; only the geometry of
    the updates differs. The paper's ``piGAN`` wraps every sine layer and the output layer so.
    """
    return _weight_norm(linear, dim=0) if enabled else linear


class MappingNetwork(nn.Module):
    """z ↦ (γ, β): an MLP with LeakyReLU(0.2), as π-GAN's mapping network.

    ``layers`` hidden layers of width ``hidden``, then a linear layer to ``2 · outputs``
    (frequencies, then phase shifts). ``init="paper"``: every weight Kaiming-normal (fan_in,
    leaky_relu, a = 0.2), biases PyTorch's default; ``"v0"``: PyTorch's default throughout. Either
    way the last layer's weights are scaled by 0.25 so the initial modulation is small next to ω.

    With ``shift_only`` the last layer gives the phase shifts alone and ``γ = 0`` (functa's
    shift modulation, Dupont et al. 2022; with ``layers=0`` the map from ``z`` is linear, as
    theirs and COIN++'s).
    """

    def __init__(
        self,
        latent_dim: int,
        hidden: int,
        layers: int,
        outputs: int,
        init: str,
        shift_only: bool = False,
    ):
        super().__init__()
        self.shift_only = shift_only
        dims = [latent_dim] + [hidden] * layers
        blocks: list[nn.Module] = []
        for fan_in, fan_out in zip(dims[:-1], dims[1:], strict=True):
            blocks += [nn.Linear(fan_in, fan_out), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*blocks)
        self.out = nn.Linear(dims[-1], outputs if shift_only else 2 * outputs)
        with torch.no_grad():
            if init == "paper":
                for linear in [*self.net[::2], self.out]:
                    nn.init.kaiming_normal_(
                        linear.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu"
                    )
            self.out.weight.mul_(0.25)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """``z [B, latent_dim]`` → ``(γ, β)``, each ``[B, outputs]``."""
        if self.shift_only:
            beta = self.out(self.net(z))
            return torch.zeros_like(beta), beta
        gamma, beta = self.out(self.net(z)).chunk(2, dim=-1)
        return gamma, beta


class FiLMLayer(nn.Module):
    """FiLM layer: ``y = σ(W x + b; ω + γ, β)``, ``σ`` an :mod:`~cinr_lab.activations` entry.

    With the default sine, ``y = sin((ω + γ) · (W x + b) + β)``; the activation also draws the
    layer's initial weights and bias (see :class:`cinr_lab.activations.Sine`). With
    ``weight_norm`` the weight is ``g · V / ‖V‖`` per row.
    """

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        omega: float,
        first: bool,
        init: str = "paper",
        weight_norm: bool = False,
        activation: str = "sine",
    ):
        super().__init__()
        self.omega, self.first = omega, first
        self.activation = activations.get(activation)
        linear = nn.Linear(fan_in, fan_out)
        self.activation.init_(linear, omega, first, init)
        self.linear = _maybe_weight_norm(linear, weight_norm)

    def pre(self, x: Tensor) -> Tensor:
        """``W x + b``, the argument the activation's scale multiplies."""
        return self.linear(x)

    fold = True
    """Fold the scale into the weights where the activation allows it (see :meth:`forward`);
    ``False`` computes the plain ``σ(W x + b; s, β)`` (tests compare the two)."""

    def forward(self, x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        """``x [B, K, fan_in]``, ``γ, β [B, 1, fan_out]`` → ``[B, K, fan_out]``.

        For an activation of ``u = s · x + β`` alone (the sine, the Gaussian), the scale is folded
        into each note's weights: ``u = ((s ∘ W) x) + (s ∘ b + β)``, one batched matrix multiply
        with its bias, instead of a matrix multiply, a product and a sum over all ``K`` points.
        The same function; float32 rounds it differently (checked against float64 in
        ``tests/test_models.py``). On the 2-core CPU a training step of the faithful PCINR is
        about 1.5× faster and a render about 1.2× (``cinr-lab bench --only fold``).
        """
        scale = self.omega + gamma
        folds = (
            self.fold and self.activation.affine and x.dim() == 3 and scale.dim() == 3
            and scale.shape[0] == x.shape[0] and scale.shape[1] == 1
        )  # fmt: skip
        if not folds:
            return self.activation(self.linear(x), scale, beta)
        s = scale[:, 0, :]  # [B, fan_out]
        weight = s[:, :, None] * self.linear.weight  # [B, fan_out, fan_in]
        bias = (s * self.linear.bias + beta.expand_as(scale)[:, 0, :])[:, None, :]
        return self.activation.of_affine(torch.baddbmm(bias, x, weight.transpose(1, 2)))


FiLMSine = FiLMLayer
"""cinr_lab 0.1's name for the layer (a sine layer is a FiLM layer with the default activation)."""


class PCINR(Decoder):
    """Periodic conditional INR: ``f(t; z) = w · h_L + b``, ``h_i = FiLMLayer_i(h_{i-1}; γ, β)``.

    ``h_0 = t``; the layers' activation is ``config.activation`` (the sine: a SIREN). Layer 1 uses
    ``ω_first``, the others ``ω_hidden``. With ``film="shared"`` (the paper's code) one ``γ, β``
    pair of width ``hidden`` modulates every layer; with ``film="per-layer"`` (π-GAN) each layer
    gets its own. The output layer ``w, b`` is linear;
    ``init="paper"`` draws ``w ~ U(±√(6/hidden)/30)`` and PyTorch's default ``b``. With
    ``freeze_mapping`` the mapping network keeps its random initialisation (it still passes
    gradients to ``z``): what the paper's code does, unannounced, to its Wide and Deep models.
    """

    continuous = True
    paper_lr = 1e-5

    def __init__(self, config):
        super().__init__()
        self.config = c = config
        self.film_layers = c.layers if c.film == "per-layer" else 1
        self.mapping = self.mapping_network(c.hidden * self.film_layers)
        self.layers = nn.ModuleList(self.film_layer(i) for i in range(c.layers))
        self.head = self.output_layer(c.hidden)
        if c.freeze_mapping:
            self.mapping.requires_grad_(False)

    def mapping_network(self, outputs: int) -> MappingNetwork:
        """A fresh mapping network to ``outputs`` FiLM units (γ and β, or β alone)."""
        c = self.config
        return MappingNetwork(
            c.latent_dim, c.mapping_hidden, c.mapping_layers, outputs, c.init,
            shift_only=c.modulation == "shift",
        )  # fmt: skip

    def film_layer(self, i: int) -> FiLMLayer:
        """A fresh FiLM layer at depth ``i`` (0: the first, at ``ω_first``, fed by ``t``)."""
        c = self.config
        first_layer = activations.get(c.activation).first_layer
        return FiLMLayer(
            1 if i == 0 else c.hidden,
            c.hidden,
            c.omega_first if i == 0 else c.omega_hidden,
            first=i == 0,
            init=c.init,
            weight_norm=c.weight_norm,
            activation=first_layer if i == 0 and first_layer else c.activation,
        )

    def output_layer(self, fan_in: int) -> nn.Module:
        """A fresh linear output layer from ``fan_in`` units (see the class for its init)."""
        c = self.config
        head = nn.Linear(fan_in, 1)
        omega = OUTPUT_OMEGA if c.init == "paper" else c.omega_hidden
        bound = math.sqrt(6 / fan_in) / omega
        with torch.no_grad():
            head.weight.uniform_(-bound, bound)
        return _maybe_weight_norm(head, c.weight_norm)

    def modulation(self, z: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Per-layer ``(γ_i, β_i)``, each ``[B, 1, hidden]``."""
        gamma, beta = self.mapping(z)
        gammas = gamma.unsqueeze(1).chunk(self.film_layers, dim=-1)
        betas = beta.unsqueeze(1).chunk(self.film_layers, dim=-1)
        return [
            (gammas[i % self.film_layers], betas[i % self.film_layers])
            for i in range(len(self.layers))
        ]

    def forward(self, z: Tensor, t: Tensor, return_hidden: bool = False):
        """Amplitudes at coordinates ``t``.

        Args:
            z: ``[B, latent_dim]`` latents.
            t: ``[B, K]`` or ``[K]`` time coordinates in [-1, 1).
            return_hidden: also return every sine layer's output ``[B, K, hidden]``.

        Returns:
            ``[B, K]`` amplitudes (and the list of hidden activations if asked).
        """
        return self.decode(self.modulation(z), t, return_hidden)

    def decode(self, modulation: list[tuple[Tensor, Tensor]], t: Tensor, return_hidden=False):
        """:meth:`forward` given the mapping network's output (``modulation(z)``)."""
        if t.dim() == 1:
            t = t.expand(modulation[0][0].shape[0], -1)
        h = t.unsqueeze(-1)
        hidden = []
        for layer, (gamma, beta) in zip(self.layers, modulation, strict=True):
            h = layer(h, gamma, beta)
            hidden.append(h)
        out = self.head(h).squeeze(-1)
        return (out, hidden) if return_hidden else out

    def conditioned(self, z: Tensor):
        """``fn(t) → [B, K]`` with the mapping network run once, here (see :class:`Decoder`)."""
        modulation = self.modulation(z)
        return lambda t: self.decode(modulation, t)

    def regularised_weights(self) -> list[Tensor]:
        """The INR's weights (not biases, not the mapping network): what v0's WR penalises."""
        return [layer.linear.weight for layer in self.layers] + [self.head.weight]

    inr_parameters = regularised_weights  # cinr_lab 0.1's name

    def scales(self) -> list[nn.Module]:
        """The FiLM layers: ``omega`` is ``ω_first`` for the first, ``ω_hidden`` for the others."""
        return list(self.layers)

    def unit_trace(self, z: Tensor):
        """Every FiLM layer's units along ``t`` for one latent ``z [1, latent_dim]``, computed by
        the layers themselves (see :meth:`cinr_lab.decoder.Decoder.unit_trace`)."""
        with torch.no_grad():
            modulation = [(g[0, 0], b[0, 0]) for g, b in self.modulation(z)]
        scales = [layer.omega + g for layer, (g, _) in zip(self.layers, modulation, strict=True)]

        def fn(t: Tensor) -> tuple[Tensor, Tensor]:
            h, phases, outs = t.unsqueeze(-1), [], []
            for layer, scale, (_, beta) in zip(self.layers, scales, modulation, strict=True):
                x, act = layer.pre(h), layer.activation
                phases.append(
                    act.phase(x, scale, beta) if act.periodic else torch.full_like(x, torch.nan)
                )
                h = act(x, scale, beta)
                outs.append(h)
            return torch.cat(phases, -1), torch.cat(outs, -1)

        return fn, torch.stack(scales)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters by part: ``"inr"`` (sine and output layers) and ``"mapping"``.

        The paper's code gives each part its own optimiser (and weight decay to the INR alone).
        A frozen mapping network contributes nothing.
        """
        inr = [p for m in (self.layers, self.head) for p in m.parameters() if p.requires_grad]
        mapping = [p for p in self.mapping.parameters() if p.requires_grad]
        return {"inr": inr, "mapping": mapping}
