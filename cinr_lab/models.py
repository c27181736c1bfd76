"""Model configs, the registry of named variants, and parameter counts.

Every decoder is built from one frozen :class:`ModelConfig`; a named variant is
``dataclasses.replace(BASE, ...)``. The config is saved with every checkpoint, so a checkpoint
rebuilds its own model. All decoders share one interface::

    decoder(z, t)   # z [B, latent_dim], t [B, K] or [K] in [-1, 1)  →  [B, K]
    decoder(z)      # TCNN: the whole clip, [B, samples]

The paper compares models of equal size: ``pcinr``, ``pcinr-wide``, ``pcinr-deep`` and ``tcnn``
all have 0.79 M parameters (within ±5 %, tested).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from torch import nn

from cinr_lab import activations, checks
from cinr_lab.bacon import BandLimitedINR
from cinr_lab.decoder import Decoder
from cinr_lab.decoder import grid as grid  # re-exported: models.grid is public
from cinr_lab.parallel import ParallelPCINR
from cinr_lab.pcinr import PCINR
from cinr_lab.tcnn import TCNN


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of one decoder.

    Attributes:
        kind: ``"pcinr"`` or ``"tcnn"`` (see :data:`BUILDERS`).
        latent_dim: size of each note's latent ``z``.
        samples: clip length in samples (16000 = 1 s at 16 kHz); sets the coordinate grid.
        hidden, layers: SIREN width and number of sine layers.
        mapping_hidden, mapping_layers: the mapping network's width and hidden-layer count.
        omega_first, omega_hidden: sine scales ω of the first and the other sine layers. The
            paper's code picks 1760 / 245 for NSynth (its README says 155 / 390, its script
            defaults 3000 / 30); 1760 / 245 is the default here.
        film: ``"shared"`` (one γ, β for all layers, as the paper's code) or ``"per-layer"``.
        tcnn_dim: WaveGAN's ``d``; 8 makes the TCNN the size of ``pcinr``.
        tcnn_kernel, tcnn_stride, tcnn_post_filter: WaveGAN's kernel 25, stride 4, filter 512.
        tcnn_upsample: nearest-neighbour upsampling + convolution at each TCNN stage (the paper's
            code), else transposed convolutions (WaveGAN's paper).
        init: ``"paper"`` (the initialisation rules of the paper's code) or ``"v0"`` (cinr_lab
            0.1's, kept so its runs load); see :mod:`cinr_lab.pcinr` and :mod:`cinr_lab.tcnn`.
        weight_norm: weight-normalise every sine layer and the output layer (the paper's PCINR).
        freeze_mapping: never train the mapping network (the paper's code does this to its Wide
            and Deep models: their mapping network is not handed to any optimiser).
        branches: parallel sub-networks (a ``"parallel"`` model; see :mod:`cinr_lab.parallel`).
        modulation: ``"scale-shift"`` (π-GAN's FiLM: frequencies γ and phase shifts β) or
            ``"shift"`` (β alone, γ = 0: functa's shift modulation).
        activation: the INR layers' activation, a key of
            :data:`cinr_lab.activations.ACTIVATIONS` (``"sine"``: SIREN, the paper's).
        band_hz: a ``"bacon"`` model's band limit in Hz (see :mod:`cinr_lab.bacon`).
    """

    kind: str = "pcinr"
    latent_dim: int = 256
    samples: int = 16000
    hidden: int = 256
    layers: int = 8
    mapping_hidden: int = 256
    mapping_layers: int = 3
    omega_first: float = 1760.0
    omega_hidden: float = 245.0
    film: str = "shared"
    tcnn_dim: int = 8
    tcnn_kernel: int = 25
    tcnn_stride: int = 4
    tcnn_post_filter: int = 512
    tcnn_upsample: bool = True
    init: str = "paper"
    weight_norm: bool = True
    freeze_mapping: bool = False
    activation: str = "sine"
    branches: int = 1
    modulation: str = "scale-shift"
    band_hz: float = 8000.0

    def __post_init__(self):
        checks.choice("kind", self.kind, tuple(sorted(BUILDERS)))
        checks.choice("film", self.film, ("shared", "per-layer"))
        checks.choice("modulation", self.modulation, ("scale-shift", "shift"))
        checks.choice("init", self.init, ("paper", "v0"))
        checks.integer("mapping_layers", self.mapping_layers, minimum=0)  # 0: a linear map
        for name in ("latent_dim", "samples", "hidden", "layers", "mapping_hidden", "tcnn_dim",
                     "tcnn_kernel", "tcnn_stride", "tcnn_post_filter", "branches"):  # fmt: skip
            checks.integer(name, getattr(self, name), minimum=1)
        for name in ("omega_first", "omega_hidden", "band_hz"):
            checks.number(name, getattr(self, name), strict=True)
        for name in ("tcnn_upsample", "weight_norm", "freeze_mapping"):
            checks.flag(name, getattr(self, name))
        if self.branches != 1 and self.kind != "parallel":
            raise checks.ConfigError(
                "branches", f"only a 'parallel' model has branches, not a {self.kind!r}"
            )
        activations.get(self.activation)  # an unknown one is an error naming the known ones

    @classmethod
    def from_dict(cls, fields: dict) -> ModelConfig:
        """A config from its saved fields; one saved by cinr_lab 0.1 (without the fields that
        came later) rebuilds the v0 model it was trained as."""
        return cls(**{**V0_FIELDS, **fields}) if "init" not in fields else cls(**fields)


V0_FIELDS = {"tcnn_upsample": False, "init": "v0", "weight_norm": False, "freeze_mapping": False}
"""What cinr_lab 0.1 built, for configs saved before these fields existed."""


BUILDERS: dict[str, type[Decoder]] = {
    "pcinr": PCINR,
    "tcnn": TCNN,
    "parallel": ParallelPCINR,
    "bacon": BandLimitedINR,
}
"""Model kinds: each a :class:`cinr_lab.decoder.Decoder` built from a :class:`ModelConfig`."""

BASE = ModelConfig()
"""The paper's PCINR as its code builds it: 8 weight-normalised sine layers × 256, shared FiLM."""
_WIDE = dataclasses.replace(BASE, hidden=365, layers=4, weight_norm=False, freeze_mapping=True)
_DEEP = dataclasses.replace(_WIDE, hidden=210, layers=12)
_V0 = dataclasses.replace(BASE, **V0_FIELDS)

PRESETS: dict[str, ModelConfig] = {
    # Faithful to the paper's code (janzuiderveld/continuous-audio-representations).
    "pcinr": BASE,
    "pcinr-wide": _WIDE,  # piGAN_custom: no weight norm, mapping network never trained
    "pcinr-deep": _DEEP,
    "tcnn": dataclasses.replace(BASE, kind="tcnn"),  # WaveGAN, upsample + conv
    # Our variants, one field changed each.
    "pcinr-wide-mapped": dataclasses.replace(_WIDE, freeze_mapping=False),
    "pcinr-deep-mapped": dataclasses.replace(_DEEP, freeze_mapping=False),
    "tcnn-transposed": dataclasses.replace(BASE, kind="tcnn", tcnn_upsample=False),
    # FINER's variable-periodic sine in place of the sine, the rest the paper's PCINR.
    "pcinr-finer": dataclasses.replace(BASE, activation="finer"),
    # functa's modulation: phase shifts only, from a linear map of z; widened to pcinr's size.
    "pcinr-shift": dataclasses.replace(BASE, modulation="shift", mapping_layers=0, hidden=318),
    # The paper's suggestion: 4 parallel FiLM-SIRENs of depth 3 × 172, summed (size of pcinr).
    "pcinr-parallel": dataclasses.replace(BASE, kind="parallel", branches=4, layers=3, hidden=172),
    # Gaussian hidden layers (one stationary point per unit), a sine first layer; else pcinr.
    "pcinr-gauss": dataclasses.replace(BASE, activation="gaussian"),
    # BACON's multiplicative filter network, spectrum bounded at 8 kHz (size of pcinr).
    "bacon": dataclasses.replace(BASE, kind="bacon", weight_norm=False),
    # cinr_lab 0.1's models: what the committed CI-scale study ran on.
    "pcinr-v0": _V0,
    "pcinr-wide-v0": dataclasses.replace(_V0, hidden=365, layers=4),
    "tcnn-v0": dataclasses.replace(_V0, kind="tcnn"),
}
"""Named variants; "WR" is ``pcinr`` trained with weight regularisation (a training option)."""


def config_for(name: str, **overrides) -> ModelConfig:
    """The preset ``name`` with fields replaced, e.g. ``config_for("pcinr", omega_hidden=30)``."""
    if name not in PRESETS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)


def continuous(name: str) -> bool:
    """Whether the preset ``name`` builds a decoder that is continuous in time (a coordinate
    network, renderable at any rate) rather than a fixed-grid one (the TCNN family)."""
    return BUILDERS[PRESETS[name].kind].continuous


def build(config: ModelConfig) -> Decoder:
    """The decoder a config describes, freshly initialised (seed torch first for repeatability)."""
    return BUILDERS[config.kind](config)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Parameters of the mapping network, of the INR or generator, and in total."""
    total = sum(p.numel() for p in model.parameters())
    mapping = sum(p.numel() for p in model.mapping.parameters()) if hasattr(model, "mapping") else 0
    return {"mapping": mapping, "decoder": total - mapping, "total": total}


def parameter_table(names=None) -> str:
    """A Markdown table of parameter counts per named model (the paper compares at equal size)."""
    names = list(PRESETS) if names is None else names
    rows = ["| model | mapping network | INR / generator | total |", "|---|---:|---:|---:|"]
    for name in names:
        c = parameter_counts(build(PRESETS[name]))
        rows.append(f"| {name} | {c['mapping']:,} | {c['decoder']:,} | {c['total']:,} |")
    return "\n".join(rows)
