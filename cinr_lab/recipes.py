"""Training configurations: :class:`TrainConfig`, whose defaults are the paper's recipe, and the
named recipes (``paper``, ``v0``, ``ours``), each a ``replace`` of it.

A run folder's ``config.json`` keeps every field (:func:`cinr_lab.runfolder.run_id` hashes them),
so changing a default here changes no saved run; :meth:`TrainConfig.from_dict` reads one back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cinr_lab import checks, models
from cinr_lab.losses import STFT_SCALES
from cinr_lab.schema import NOTE_SECONDS

if TYPE_CHECKING:
    from cinr_lab.decoder import Decoder

PRECISIONS = ("float32", "bf16")
"""What :attr:`TrainConfig.precision` may be."""

CHOICES = {
    "optimizer": ("adam", "adabelief"),
    "schedule": ("constant", "plateau", "cosine"),
    "latent_update": ("adam", "sgd"),
    "batching": ("random", "epochs"),
    "note_weights": ("none", "energy"),
    "precision": PRECISIONS,
}
"""The values each text field of :class:`TrainConfig` may take (``model``: a preset's name)."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train one decoder as an auto-decoder.

    The defaults are the paper's recipe (``"paper"``, :data:`DEFAULT_RECIPE`); :data:`RECIPES`
    names it, cinr_lab 0.1's (``"v0"``) and ours, each a ``replace`` of these defaults, and
    :func:`recipe` builds a config from one. A saved config is read back with
    :meth:`from_dict`.

    Attributes:
        model: a name in :data:`cinr_lab.models.PRESETS`.
        wr: v0's L2 weight regularisation, a loss term ``wr · Σ‖W‖²`` over the SIREN's weights;
            > 0 makes "PCINR WR".
        weight_decay: the paper's ``--weight_decay``: coupled L2 decay (``grad += wd · θ``) on
            every INR parameter (not the mapping network), inside the optimiser.
        set: the paper set to fit (``"diverse"`` or ``"keyboard"``; ``None``: every note of
            ``data``, e.g. a folder of your own sounds in NSynth's layout).
        data: NSynth-layout folder (``None``: ``$CINR_NSYNTH`` or the embedded set).
        items: how many notes of the set (``None``: all 1024), spread over the set.
        seconds: clip length (the paper: the first 1.0 s).
        steps: optimisation steps in all.
        batch: notes per step (all of them when the set is smaller).
        batching: ``"random"`` (each step draws ``batch`` notes afresh) or ``"epochs"`` (a
            shuffled pass over the notes in batches, the last one partial, as a PyTorch
            DataLoader with ``shuffle=True``: the paper's code).
        coords: coordinates per note and step for a PCINR, evenly spaced with a random offset.
            A TCNN always sees the whole clip.
        lr: decoder learning rate (``None``: the paper's 1e-5 for a PCINR, 1e-4 for a TCNN).
        optimizer: ``"adam"`` or ``"adabelief"`` (the paper's: ``adabelief_pytorch`` with
            eps 1e-16, betas 0.9/0.999, no rectification, coupled weight decay; one optimiser
            for the INR, another for the mapping network).
        schedule: ``"constant"``; ``"plateau"`` (the paper's: the INR's rate × 0.95 when the
            batch loss has not improved by 0.01 % for ``plateau_epochs`` epochs; the mapping
            network's rate stays); or ``"cosine"`` (every rate decays to ``lr_floor`` × itself
            over ``steps``, after a linear warm-up of ``warmup`` steps).
        plateau_epochs, warmup, lr_floor: the schedules' settings.
        latent_update: ``"adam"`` (latents in the decoder's optimiser at ``latent_lr``) or
            ``"sgd"`` (the paper's: ``z ← z − latent_lr · ∇z L`` once per step, from the same
            loss the decoder steps on; not differentiated through).
        latent_lr: latent learning rate (``None``: as ``lr``).
        latent_std: latents start as N(0, latent_std²) (the paper: 0.001).
        inner_steps, inner_lr: v0's optional inner loop: gradient steps on the batch's latents
            before each decoder update, differentiated through (0 turns it off).
        mse_weight: weight of the squared error summed over the sampled coordinates, averaged
            over the batch.
        mse_rescale: scale that sum by ``samples / coords`` so it estimates the whole clip's
            (v0); the paper's code does not.
        deriv_weight: weight of the same error on first differences between neighbouring
            sampled coordinates (the paper's ``deriv_per_sample``).
        stft_weight: weight of the multi-resolution STFT loss (see :mod:`cinr_lab.losses`).
        note_weights: ``"none"``, or ``"energy"`` (ours): each note's error terms are weighted by
            ``ē / e_n`` (the set's mean energy over the note's, at most 100), so every note
            counts as if it were of average loudness; the objective then tracks the mean
            per-note SNR rather than the loudest notes' error.
        seed: seeds the decoder's initialisation, the latents, batches and coordinates.
        checkpoint_every: steps between checkpoints (one is always written at the end).
        snapshots: steps at which the model and latents are also kept, weights only, as
            ``RUN/snapshots/step-<step>.pt`` (matrices in float16, as an export stores them),
            so a run can be measured along its training (``load_run(path, step=k)``). Like
            ``steps`` and ``checkpoint_every``, not part of the run's identity.
        precision: ``"float32"``, or ``"bf16"``: the decoder's forward pass under bfloat16
            autocast (matrix multiplies and convolutions in bf16, weights, optimiser and losses
            in float32), for decoders that are not continuous in time (the TCNN family) only:
            a sine layer multiplies its bf16-rounded pre-activation by ω, and the shipped
            64-note PCINR renders at −9.4 dB instead of 3.6 dB under it (``cinr-lab bench
            --only precision``).
    """

    model: str = "pcinr"
    wr: float = 0.0
    set: str | None = "keyboard"
    data: str | None = None
    items: int | None = 16
    seconds: float = 1.0
    steps: int = 1000
    batch: int = 16
    coords: int = 2000
    lr: float | None = None
    latent_lr: float | None = 0.3
    latent_std: float = 0.001
    inner_steps: int = 0
    inner_lr: float = 1e-2
    mse_weight: float = 1.0
    stft_weight: float = 0.0
    seed: int = 0
    checkpoint_every: int = 200
    snapshots: tuple[int, ...] = ()
    optimizer: str = "adabelief"
    weight_decay: float = 0.0
    schedule: str = "plateau"
    plateau_epochs: int = 100
    warmup: int = 0
    lr_floor: float = 0.01
    latent_update: str = "sgd"
    mse_rescale: bool = False
    deriv_weight: float = 1.0
    batching: str = "epochs"
    note_weights: str = "none"
    precision: str = "float32"

    def __post_init__(self):
        object.__setattr__(self, "snapshots", tuple(self.snapshots))  # JSON gives a list
        for step in self.snapshots:
            checks.integer("snapshots", step, minimum=1)
        for name in ("steps", "batch", "coords", "checkpoint_every", "plateau_epochs"):
            checks.integer(name, getattr(self, name), minimum=1)
        checks.integer("items", self.items, minimum=1, optional=True)
        for name in ("seed", "inner_steps", "warmup"):
            checks.integer(name, getattr(self, name), minimum=0)
        for name in ("lr", "latent_lr"):
            checks.number(name, getattr(self, name), strict=True, optional=True)
        checks.number("inner_lr", self.inner_lr, strict=True)
        checks.number("seconds", self.seconds, maximum=NOTE_SECONDS, strict=True)
        checks.number("lr_floor", self.lr_floor, maximum=1.0)
        for name in ("wr", "weight_decay", "latent_std", "mse_weight", "stft_weight",
                     "deriv_weight"):  # fmt: skip
            checks.number(name, getattr(self, name))
        checks.flag("mse_rescale", self.mse_rescale)
        checks.choice("model", self.model, tuple(models.PRESETS))
        for name, allowed in CHOICES.items():
            checks.choice(name, getattr(self, name), allowed)
        if self.precision == "bf16" and models.continuous(self.model):
            raise checks.ConfigError(
                "precision",
                f"bf16 is for decoders that are not continuous in time (the TCNN family), not "
                f"{self.model!r}: its sines multiply bf16-rounded pre-activations by ω (cinr-lab "
                "bench --only precision)",
            )
        if self.inner_steps and self.latent_update == "sgd":
            raise checks.ConfigError(
                "inner_steps", "v0's inner loop needs latent_update='adam', not 'sgd'"
            )
        if self.stft_weight and self.coords < min(STFT_SCALES):
            raise checks.ConfigError(
                "coords",
                f"{self.coords} per note is below the smallest STFT scale ({min(STFT_SCALES)}) "
                "of the STFT loss; give more, or stft_weight 0",
            )
        if self.mse_weight + self.stft_weight + self.deriv_weight == 0:
            raise checks.ConfigError(
                "mse_weight", "mse_weight, stft_weight and deriv_weight are all 0: nothing to fit"
            )

    def decoder_lr(self, model: Decoder) -> float:
        """The decoder's learning rate: ``lr``, else the paper's value for ``model``'s kind."""
        return self.lr if self.lr is not None else model.paper_lr

    @classmethod
    def from_dict(cls, fields: dict) -> TrainConfig:
        """A config from its saved fields (``config.json``'s ``"train"``). A field the run was
        saved without did not exist yet: it takes the value every run had before it, v0's."""
        return dataclasses.replace(RECIPES["v0"], **fields)


V0 = dict(
    optimizer="adam", schedule="constant", latent_update="adam", latent_lr=None, mse_rescale=True,
    deriv_weight=0.0, stft_weight=1.0, batching="random", coords=8000,
)  # fmt: skip
"""cinr_lab 0.1's recipe as it differs from the paper's: one Adam over decoder and latents, the
whole-clip MSE estimate plus the multi-STFT loss on 8000 random-offset coordinates, random
batches."""

RECIPES: dict[str, TrainConfig] = {
    # The paper's train.py: AdaBelief, plateau schedule, latents by plain gradient descent at 0.3
    # (its argparse declares latent_lr type=int, which argparse never applies to a default),
    # summed squared error on 2000 evenly spaced coordinates (its samples_per_datapoint default;
    # its README's table lists 8000) plus its first-difference term: TrainConfig's defaults.
    "paper": TrainConfig(),
    "v0": TrainConfig(**V0),
}
# Ours: the paper's recipe with half the coordinates per note and step (twice the steps in the
# same time, the largest gain in results/recipe_sweep.md) and a 3x larger rate.
RECIPES["ours"] = dataclasses.replace(RECIPES["paper"], lr=3e-5, coords=1000)
"""Named training recipes: a recipe is a :class:`TrainConfig` with the data fields left free."""

DEFAULT_RECIPE = "paper"
"""What ``cinr-lab train`` uses without ``--recipe``."""


def recipe(name: str, **fields) -> TrainConfig:
    """The recipe ``name`` with ``fields`` replaced, e.g. ``recipe("paper", items=32)``."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return dataclasses.replace(RECIPES[name], **fields)


def fields_help() -> dict[str, str]:
    """Each field's description from :class:`TrainConfig`'s docstring (what ``--help`` shows)."""
    text = TrainConfig.__doc__.split("Attributes:")[1]
    out: dict[str, str] = {}
    for line in text.splitlines():
        head, _, rest = line.strip().partition(": ")
        if line.startswith(" " * 8) and not line.startswith(" " * 12) and rest:
            names = [n.strip() for n in head.split(",")]
            for name in names:
                out[name] = rest
            last = names
        elif line.startswith(" " * 12) and out:
            for name in last:
                out[name] += " " + line.strip()
    return out
