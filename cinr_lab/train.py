"""Auto-decoder training: one learnable latent per note, optimised jointly with the decoder.

A run folder holds everything about one training run::

    RUN/config.json      model and training configs, the notes (so a run rebuilds itself)
    RUN/checkpoint.pt    model, latents, optimizer, step and RNG state (atomically replaced)
    RUN/loss.csv         the loss curve, one row per step
    RUN/audio/*.wav      each note's reconstruction at the end of training (float32)
    RUN/.lock            held by the process training it (its PID inside)

A new run's folder must be empty or absent; it gets a step-0 checkpoint before its config, so a
folder with ``config.json`` can always be resumed. A checkpoint is written only when every weight
and latent is finite, and it records which run it belongs to (:func:`run_id`), so it cannot be
loaded into another run's folder.

Resuming from ``checkpoint.pt`` continues exactly as an uninterrupted run would: the same batches,
coordinates and updates, bit for bit on the same machine and one torch thread (with more, some
CPU kernels can round differently from one run to the next, resumed or not).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cinr_lab import atomic, checks, models, nsynth, runfolder
from cinr_lab.audio import NSYNTH_RATE, write_wav
from cinr_lab.decoder import Decoder
from cinr_lab.losses import STFT_SCALES, multi_stft_loss, summed_squared_error
from cinr_lab.runfolder import RunError as RunError

CHECKPOINT_FORMAT = 1


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


PRECISIONS = ("float32", "bf16")
"""What :attr:`TrainConfig.precision` may be."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train one decoder as an auto-decoder.

    The defaults are cinr_lab 0.1's recipe (``"v0"``); :data:`RECIPES` names the paper's and
    ours, and :func:`recipe` builds a config from one.

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
    coords: int = 8000
    lr: float | None = None
    latent_lr: float | None = None
    latent_std: float = 0.001
    inner_steps: int = 0
    inner_lr: float = 1e-2
    mse_weight: float = 1.0
    stft_weight: float = 1.0
    seed: int = 0
    checkpoint_every: int = 200
    snapshots: tuple[int, ...] = ()
    optimizer: str = "adam"
    weight_decay: float = 0.0
    schedule: str = "constant"
    plateau_epochs: int = 100
    warmup: int = 0
    lr_floor: float = 0.01
    latent_update: str = "adam"
    mse_rescale: bool = True
    deriv_weight: float = 0.0
    batching: str = "random"
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
        checks.number("seconds", self.seconds, maximum=nsynth.NOTE_SECONDS, strict=True)
        checks.number("lr_floor", self.lr_floor, maximum=1.0)
        for name in ("wr", "weight_decay", "latent_std", "mse_weight", "stft_weight",
                     "deriv_weight"):  # fmt: skip
            checks.number(name, getattr(self, name))
        checks.flag("mse_rescale", self.mse_rescale)
        checks.choice("model", self.model, tuple(models.PRESETS))
        choices = {
            "optimizer": ("adam", "adabelief"),
            "schedule": ("constant", "plateau", "cosine"),
            "latent_update": ("adam", "sgd"),
            "batching": ("random", "epochs"),
            "note_weights": ("none", "energy"),
            "precision": PRECISIONS,
        }
        for name, allowed in choices.items():
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


RECIPES: dict[str, TrainConfig] = {
    "v0": TrainConfig(),
    # The paper's train.py: AdaBelief, plateau schedule, latents by plain gradient descent at 0.3
    # (its argparse declares latent_lr type=int, which argparse never applies to a default),
    # summed squared error on 2000 evenly spaced coordinates (its samples_per_datapoint default;
    # its README's table lists 8000) plus its first-difference term.
    "paper": TrainConfig(
        optimizer="adabelief", schedule="plateau", latent_update="sgd", latent_lr=0.3,
        mse_rescale=False, deriv_weight=1.0, stft_weight=0.0, batching="epochs", coords=2000,
    ),
}  # fmt: skip
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


@dataclass
class Run:
    """A trained (or training) auto-decoder loaded from a run folder."""

    path: Path
    model: nn.Module
    latents: Tensor  # [notes, latent_dim]
    notes: list[str]
    model_config: models.ModelConfig
    train_config: TrainConfig
    step: int
    data: dict | None = None  # nsynth.identity of what it was trained on (None: not recorded)

    def truth(self, items: list[int] | None = None) -> np.ndarray:
        """The clips the run was trained to reconstruct, ``[len(items), samples]`` float32.

        Read from the run's data folder (its ``data``, else ``$CINR_NSYNTH``, else the embedded
        set), which must hold the data the run was trained on.

        Raises:
            RunError: the folder holds other data than the run was trained on.
        """
        root = nsynth.resolve_root(self.train_config.data)
        check_data(self.path, self.data, root)
        audio = nsynth.load(root, subset=self.notes, seconds=self.train_config.seconds).audio
        return audio if items is None else audio[items]

    def render(self, items: list[int] | None = None, rate: int = NSYNTH_RATE) -> Tensor:
        """Reconstructions of notes ``items`` (default: all) at ``rate`` Hz.

        Returns:
            ``[len(items), samples · rate / 16000]`` float32 on the CPU.
        """
        items = list(range(len(self.notes))) if items is None else items
        checks.integer("rate", rate, minimum=NSYNTH_RATE)  # lower would alias: no filter here
        if self.model_config.samples * rate % NSYNTH_RATE:
            raise checks.ConfigError(
                "rate", f"{rate} Hz does not give a whole number of samples per clip"
            )
        if not self.model.continuous and rate != NSYNTH_RATE:
            raise RunError(
                f"{self.path}: a {type(self.model).__name__} renders only its training rate "
                f"({NSYNTH_RATE} Hz), not {rate} Hz; it is not continuous in time"
            )
        for i in items:
            if not 0 <= i < len(self.notes):
                raise RunError(
                    f"{self.path}: item {i} out of range (the run has {len(self.notes)} notes)"
                )
        if len(set(items)) < len(items):
            twice = next(i for i in items if items.count(i) > 1)
            raise checks.ConfigError("items", f"note {twice} is asked for twice")
        return render(self.model, self.latents[items], rate)


def render(model: Decoder, z: Tensor, rate: int = NSYNTH_RATE, chunk: int = 8) -> Tensor:
    """Render latents ``z [B, latent_dim]`` as clips at ``rate`` Hz (``[B, m]``, CPU float32).

    A continuous decoder (a PCINR) is queried on :func:`cinr_lab.models.grid` at ``rate / 16000``
    times the training density; another (a TCNN) only at the training rate.
    """
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for part in z.split(chunk):
            out.append(model.render(part.to(device), rate / NSYNTH_RATE).cpu())
    return torch.cat(out)


# --------------------------------------------------------------------------- training


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Trainer:
    """Trains a decoder and the notes' latents; writes the run folder as it goes.

    Use :meth:`create` for a new run and :meth:`resume` to continue one, then :meth:`fit`.
    """

    def __init__(self, path: Path, model_config, train_config: TrainConfig, clips: nsynth.Clips):
        self.path, self.clips = path, clips
        self.model_config, self.config = model_config, train_config
        self.device = _device()
        with torch.random.fork_rng(devices=[]):  # seed the init without touching the caller's RNG
            torch.manual_seed(train_config.seed)
            self.model = models.build(model_config).to(self.device)
        if train_config.wr and not self.model.regularised_weights():
            raise RunError(
                f"--wr (weight regularisation) needs weights to regularise; a "
                f"{type(self.model).__name__} has none"
            )
        n = len(clips)
        self.latents = nn.Parameter(
            torch.randn(
                n,
                model_config.latent_dim,
                generator=torch.Generator().manual_seed(train_config.seed),
            )
            .mul_(train_config.latent_std)
            .to(self.device)
        )
        self.optimizers = _optimizers(self.model, self.latents, model_config, train_config)
        self.scheduler = _scheduler(self.optimizers, train_config, n)
        self.gen = torch.Generator().manual_seed(train_config.seed + 1)
        self.audio = torch.from_numpy(clips.audio).to(self.device)
        energy = self.audio.pow(2).mean(dim=1) + 1e-12
        self.note_weight = (
            (energy.mean() / energy).clamp(max=100.0)
            if train_config.note_weights == "energy"
            else torch.ones_like(energy)
        )
        self.compiled = None  # loss through torch.compile, once compile() has built it
        self.step = 0
        self.saved_step: int | None = None  # the step of the checkpoint on disk
        self.run_id = ""  # set by create / resume (see run_id)
        self.seconds = 0.0  # spent in training steps by this process

    # -- construction

    @classmethod
    def create(
        cls, path, train_config: TrainConfig, model_config: models.ModelConfig | None = None
    ) -> Trainer:
        """Start a new run in ``path`` (which must not hold a run already)."""
        path = Path(path)
        runfolder.check_new(path)
        clips = nsynth.load(
            train_config.data,
            subset=train_config.set,
            items=train_config.items,
            seconds=train_config.seconds,
        )
        model_config = model_config or models.config_for(train_config.model)
        model_config = dataclasses.replace(model_config, samples=clips.audio.shape[1])
        trainer = cls(path, model_config, train_config, clips)
        path.mkdir(parents=True, exist_ok=True)
        runfolder.lock(path)
        runfolder.check_new(path)  # again, now that no other trainer can start here
        config = {
            "model": dataclasses.asdict(model_config),
            "train": dataclasses.asdict(train_config),
            "notes": clips.names,
            "data": nsynth.identity(clips.root),
        }
        trainer.run_id = run_id(config)
        trainer.save()  # step 0: a folder with config.json can always be resumed
        atomic.write_text(path / "loss.csv", ",".join(LOSS_COLUMNS) + "\n")
        atomic.write_text(path / "config.json", json.dumps(config, indent=1))  # last: now a run
        return trainer

    @classmethod
    def resume(cls, path, steps: int | None = None, model: str | None = None) -> Trainer:
        """Continue the run in ``path`` from its checkpoint, optionally to a new total ``steps``."""
        path = Path(path)
        config, state = _read_run(path)
        train_config = TrainConfig(**config["train"])
        if model is not None and model != train_config.model:
            raise RunError(f"{path}: holds a {train_config.model!r} run, not {model!r}")
        if steps is not None:
            train_config = dataclasses.replace(train_config, steps=steps)
        if train_config.steps < state["step"]:
            raise checks.ConfigError(
                "steps", f"{train_config.steps} is below the run's step {state['step']} ({path})"
            )
        root = nsynth.resolve_root(train_config.data)
        check_data(path, config.get("data"), root)
        clips = nsynth.load(root, subset=config["notes"], seconds=train_config.seconds)
        if clips.names != config["notes"]:
            raise RunError(f"{path}: the data no longer holds the run's notes in order")
        trainer = cls(path, models.ModelConfig.from_dict(config["model"]), train_config, clips)
        trainer.run_id = run_id(config)
        runfolder.lock(path)
        trainer.model.load_state_dict(state["model"])
        with torch.no_grad():
            trainer.latents.copy_(state["latents"])
        if "optimizer" not in state:
            raise RunError(
                f"{path / 'checkpoint.pt'}: an exported model (weights only) cannot be resumed; "
                "train the original run further instead"
            )
        saved = state["optimizer"]
        if "main" not in saved:  # cinr_lab 0.1 saved its one optimizer's state as is
            saved = {"main": saved}
        for name, optimizer in trainer.optimizers.items():
            optimizer.load_state_dict(saved[name])
        if trainer.scheduler is not None:
            trainer.scheduler.load_state_dict(state["scheduler"])
        trainer.gen.set_state(state["rng"])
        trainer.step = trainer.saved_step = state["step"]
        _truncate_csv(path / "loss.csv", trainer.step)
        return trainer

    # -- the loop

    def batch_notes(self) -> Tensor:
        """Note indices ``[B]`` for the next step (see ``TrainConfig.batching``)."""
        c, n = self.config, len(self.clips)
        size = min(c.batch, n)
        if c.batching == "random":
            return torch.randperm(n, generator=self.gen)[:size].to(self.device)
        per_epoch = -(-n // size)
        epoch, j = divmod(self.step, per_epoch)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(c.seed * 100_003 + epoch))
        return order[j * size : (j + 1) * size].to(self.device)

    def loss(self, notes: Tensor, z: Tensor | None = None) -> dict[str, Tensor]:
        """Losses for one batch of note indices (``[B]``), at latents ``z`` (default: theirs).

        ``"mse"`` is always the whole-clip estimate (summed over the sampled coordinates, scaled
        by ``samples / coords``, averaged over notes), whatever the objective, so curves of
        different recipes compare; ``"loss"`` is what the optimiser minimises.
        """
        c = self.config
        predict, target, scale = self.model.training_batch(self.audio[notes], c.coords, self.gen)

        z = self.latents[notes] if z is None else z
        for _ in range(c.inner_steps):  # v0's inner loop on the latents
            inner = summed_squared_error(predict(z), target).mean() * scale
            (grad,) = torch.autograd.grad(inner, z, create_graph=True)
            z = z - c.inner_lr * grad
        with torch.autocast(self.device.type, torch.bfloat16, enabled=c.precision == "bf16"):
            pred = predict(z)
        pred = pred.float()
        weight = self.note_weight[notes]
        per_note = summed_squared_error(pred, target)
        sse = (per_note * weight).mean()
        zero = torch.zeros((), device=self.device)
        terms = {"mse": per_note.mean().detach() * scale}
        terms["deriv"] = (
            (summed_squared_error(pred.diff(dim=-1), target.diff(dim=-1)) * weight).mean()
            if c.deriv_weight
            else zero
        )
        terms["stft"] = multi_stft_loss(pred, target) if c.stft_weight else zero
        terms["wr"] = (
            sum(w.pow(2).sum() for w in self.model.regularised_weights()) if c.wr else zero
        )
        terms["loss"] = (
            c.mse_weight * (sse * scale if c.mse_rescale else sse)
            + c.deriv_weight * terms["deriv"]
            + c.stft_weight * terms["stft"]
            + c.wr * terms["wr"]
        )
        return terms

    def step_latents(self, notes: Tensor) -> Tensor | None:
        """The latents a training step passes to :meth:`loss` for the batch ``notes``: a copy to
        step on by hand (``latent_update="sgd"``), else ``None`` (the latents themselves, which
        the optimiser steps)."""
        if self.config.latent_update != "sgd":
            return None
        return self.latents.detach()[notes].clone().requires_grad_(True)

    def compile(self) -> str | None:
        """Compute every step's losses (the decoder's forward pass and each error term) through
        ``torch.compile``, which fuses the elementwise work between the matrix multiplies.

        The same function as :meth:`loss`, in another float order (tested: losses within
        1e-5, gradients within 0.2 % relative; the runs then drift apart as any two float
        orders do under Adam), and not part of the run's identity: a run may be resumed either
        way. It costs a compilation first (seconds on a CPU; done here, on a throwaway batch).
        ``cinr-lab bench --only compile`` measures what it saves.

        Returns:
            ``None`` once compiled; where compiling fails (no C++ compiler, a platform or
            recipe that ``torch.compile`` does not support), the reason, with a warning, and
            training stays eager.
        """
        if self.config.inner_steps:
            reason = "v0's inner loop differentiates through a gradient (double backward)"
            warnings.warn(f"torch.compile cannot: {reason}; training eagerly", stacklevel=2)
            return reason
        state = self.gen.get_state()  # the probe draws coordinates; the run must not see it
        try:
            compiled = torch.compile(self.loss)
            notes = torch.arange(min(self.config.batch, len(self.clips)), device=self.device)
            z = self.step_latents(notes)
            with warnings.catch_warnings():
                # Dynamo tracing through losses' cached STFT-loss factory: the factory only
                # builds the same auraloss module for the same scales, so its result is constant.
                warnings.filterwarnings("ignore", ".*functools.lru_cache", UserWarning)
                # Inductor leaves the STFT's complex operators to eager kernels, as it says.
                warnings.filterwarnings("ignore", ".*complex operators", UserWarning)
                terms = compiled(notes, z)
                wrt = [*self.model.parameters(), self.latents if z is None else z]
                torch.autograd.grad(terms["loss"], wrt, allow_unused=True)
        except Exception as err:  # inductor and dynamo raise many kinds when they cannot build
            reason = " ".join(f"{type(err).__name__}: {err}".split())[:300]
            warnings.warn(f"torch.compile failed: {reason}; training eagerly", stacklevel=2)
            return reason
        finally:
            self.gen.set_state(state)
        self.compiled = compiled
        return None

    def train_step(self, notes: Tensor) -> dict[str, Tensor]:
        """One update of the decoder and of the batch's latents; returns the batch's losses.

        Raises:
            TrainingDiverged: the loss is NaN or infinite (nothing was updated).
        """
        c = self.config
        z = self.step_latents(notes)
        terms = (self.compiled or self.loss)(notes, z)
        if not torch.isfinite(terms["loss"]):
            raise TrainingDiverged(f"step {self.step + 1}: loss is {terms['loss'].item()}")
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        if self.scheduler is not None:  # the paper steps its scheduler before the update
            self.scheduler.step(terms["loss"].item())
        if c.schedule == "cosine":
            _cosine(self.optimizers, c, self.step)
        for optimizer in self.optimizers.values():
            optimizer.step()
        if z is not None:  # the paper's plain gradient step on the batch's latents
            with torch.no_grad():
                self.latents[notes] = z - c.latent_lr * z.grad
        self.step += 1
        return terms

    def fit(
        self,
        progress: bool = True,
        budget: float | None = None,
        every: float | None = None,
        on_time=None,
    ) -> Path:
        """Train to ``config.steps``, checkpointing on the way and at the end; render the notes.

        Args:
            progress: show a progress bar.
            budget: stop early once this many seconds were spent in training steps (a
                wall-clock race between recipes; ``self.seconds`` says how many were).
            every, on_time: call ``on_time(self)`` every ``every`` seconds of training (and at
                the end); the time it takes is not counted.

        Returns:
            The run folder.

        Raises:
            TrainingDiverged: the loss became NaN or infinite (the last checkpoint is kept).
        """
        from tqdm.auto import tqdm

        c = self.config
        n = len(self.clips)
        points = points_per_step(c, self.model, n)
        bar = tqdm(
            total=c.steps,
            initial=self.step,
            desc=f"{c.model} {c.set}",
            disable=None if progress else True,
            # At most one redraw a second: a notebook kernel queues every redraw as a message,
            # and a client that reads them only after the cell (nbval) would lose some.
            mininterval=1.0,
        )
        start = time.perf_counter()
        next_call, called_at = every, None
        try:
            # Line-buffered: every row reaches the file whole, so a crash leaves whole lines.
            with open(self.path / "loss.csv", "a", newline="", buffering=1) as fh:
                writer = csv.writer(fh, lineterminator="\n")
                while self.step < c.steps and (budget is None or self.seconds < budget):
                    tick = time.perf_counter()
                    terms = self.train_step(self.batch_notes())
                    values = {k: terms[k].item() for k in LOSS_COLUMNS[1:-1]}
                    self.seconds += time.perf_counter() - tick
                    writer.writerow(
                        [
                            self.step,
                            *(f"{values[k]:.6g}" for k in LOSS_COLUMNS[1:-1]),
                            f"{time.perf_counter() - start:.3f}",
                        ]
                    )
                    bar.update(1)
                    bar.set_postfix(
                        loss=f"{values['loss']:.4g}",
                        pts_s=f"{points / (time.perf_counter() - tick):.3g}",
                        refresh=False,
                    )
                    if self.step % c.checkpoint_every == 0 or self.step == c.steps:
                        self.save()
                    if self.step in c.snapshots:
                        self.snapshot()
                    if on_time is not None and self.seconds >= next_call:
                        on_time(self)
                        called_at = self.step
                        while next_call <= self.seconds:  # one call however many periods passed
                            next_call += every
            if self.step != self.saved_step:  # the budget ran out between checkpoints
                self.save()
        except TrainingDiverged as err:
            raise TrainingDiverged(f"{err}; stopped. {self._kept()}") from None
        finally:
            bar.close()
            runfolder.unlock(self.path)
        if on_time is not None and called_at != self.step:
            on_time(self)
        self.write_audio()
        return self.path

    def _kept(self) -> str:
        """Which checkpoint a diverged run keeps, and what to do next."""
        kept = self.path / "checkpoint.pt"
        if self.saved_step is None:
            return f"No checkpoint was written in {self.path}"
        if self.saved_step == 0:
            return (
                f"Its only checkpoint ({kept}) is the untrained step 0: delete {self.path} and "
                "start again with a lower --lr"
            )
        return f"The last good checkpoint is {kept} (step {self.saved_step})"

    # -- persistence

    def save(self) -> None:
        """Atomically write ``checkpoint.pt``, unless a weight or latent is not finite.

        Raises:
            TrainingDiverged: NaN or infinity in the weights or latents; the checkpoint on disk
                (the last good one) is kept.
        """
        bad = [
            name
            for name, tensor in self.model.state_dict().items()
            if tensor.is_floating_point() and not torch.isfinite(tensor).all()
        ]
        if not torch.isfinite(self.latents).all():
            bad.append("latents")
        if bad:
            raise TrainingDiverged(
                f"step {self.step}: NaN or infinity in {', '.join(bad[:3])}"
                + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
                + "; not saved"
            )
        state = {
            "format": CHECKPOINT_FORMAT,
            "run": self.run_id,
            "step": self.step,
            "model_config": dataclasses.asdict(self.model_config),
            "model": {k: v.cpu() for k, v in self.model.state_dict().items()},
            "latents": self.latents.detach().cpu(),
            "optimizer": {k: o.state_dict() for k, o in self.optimizers.items()},
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": self.gen.get_state(),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic.write_bytes(self.path / "checkpoint.pt", buffer.getvalue())
        self.saved_step = self.step

    def snapshot(self) -> Path:
        """Keep this step's model and latents in ``RUN/snapshots/step-<step>.pt`` (weights only,
        matrices in float16 as :func:`cinr_lab.pretrained.export` stores them); returns it."""
        from cinr_lab.pretrained import as_float16

        state = {
            "format": CHECKPOINT_FORMAT,
            "run": self.run_id,
            "step": self.step,
            "model_config": dataclasses.asdict(self.model_config),
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "latents": self.latents.detach().cpu(),
        }
        buffer = io.BytesIO()
        torch.save(as_float16(state), buffer)
        path = snapshot_path(self.path, self.step)
        path.parent.mkdir(exist_ok=True)
        atomic.write_bytes(path, buffer.getvalue())
        return path

    def write_audio(self) -> None:
        """Render every note to ``RUN/audio/<note_str>.wav`` (float32, 16 kHz)."""
        folder = self.path / "audio"
        folder.mkdir(exist_ok=True)
        self.model.eval()
        waves = render(self.model, self.latents.detach())
        self.model.train()
        for name, wave in zip(self.clips.names, waves, strict=True):
            write_wav(folder / f"{name}.wav", wave.numpy(), subtype="FLOAT")


LOSS_COLUMNS = ("step", "loss", "mse", "deriv", "stft", "wr", "seconds")


def _optimizers(model, latents, model_config, c: TrainConfig) -> dict[str, torch.optim.Optimizer]:
    """The recipe's optimisers: v0's one Adam over everything, or the paper's two AdaBeliefs.

    With ``latent_update="adam"`` the latents join the INR's optimiser at ``latent_lr``.
    """
    lr = c.decoder_lr(model)
    groups = model.parameter_groups()
    latent = [{"params": [latents], "lr": c.latent_lr or lr, "weight_decay": 0.0}]
    latent = latent if c.latent_update == "adam" else []
    if c.optimizer == "adam" and c.schedule != "plateau" and not c.weight_decay:
        trainable = [p for p in model.parameters() if p.requires_grad]
        return {"main": torch.optim.Adam([{"params": trainable, "lr": lr}, *latent])}
    parts = {"main": [{"params": groups["inr"], "weight_decay": c.weight_decay}, *latent]}
    if groups["mapping"]:
        parts["mapping"] = [{"params": groups["mapping"], "weight_decay": 0.0}]
    if c.optimizer == "adam":
        return {k: torch.optim.Adam(v, lr=lr) for k, v in parts.items()}
    from adabelief_pytorch import AdaBelief

    return {
        k: AdaBelief(v, lr=lr, eps=1e-16, betas=(0.9, 0.999), weight_decouple=False,
                     rectify=False, print_change_log=False)
        for k, v in parts.items()
    }  # fmt: skip


def _scheduler(optimizers, c: TrainConfig, notes: int):
    """The paper's ReduceLROnPlateau on the INR's optimiser (stepped every batch), or None."""
    if c.schedule != "plateau":
        return None
    per_epoch = max(1, notes // min(c.batch, notes))  # the paper's dataset_size // batch_size
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizers["main"], "min", factor=0.95, patience=c.plateau_epochs * per_epoch,
        threshold=1e-4, threshold_mode="rel", cooldown=1,
    )  # fmt: skip


def _cosine(optimizers, c: TrainConfig, step: int) -> None:
    """Set every group's rate for ``step``: linear warm-up, then cosine decay to ``lr_floor``."""
    if step < c.warmup:
        factor = (step + 1) / c.warmup
    else:
        progress = min(1.0, (step - c.warmup) / max(1, c.steps - c.warmup))
        factor = c.lr_floor + (1 - c.lr_floor) * 0.5 * (1 + math.cos(math.pi * progress))
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group.setdefault("base_lr", group["lr"])
            group["lr"] = group["base_lr"] * factor


def _truncate_csv(path: Path, step: int) -> None:
    """Keep the loss rows up to ``step`` (the checkpoint a resume starts from), whole rows only.

    A row torn by a crash (too few fields, or a field that is not a number) ends the kept rows,
    as do rows written after the checkpoint. Rows of a run written by cinr_lab 0.1 (no ``deriv``
    column) are rewritten with ``deriv`` 0.
    """
    rows = []
    if path.exists():
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            for row in reader:
                if None in row or any(row.get(k) in (None, "") for k in columns):
                    break  # torn: fewer fields than the header, or more
                try:
                    for k in columns:
                        float(row[k])
                except ValueError:
                    break
                if int(float(row["step"])) > step:
                    break
                rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, LOSS_COLUMNS, restval="0", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, buffer.getvalue())


LATER_FIELDS = {"precision": "float32"}
"""TrainConfig fields added after runs were shipped, with the value every earlier run had: at that
value they are left out of :func:`run_id`, so an earlier run keeps its identity."""


NOT_IDENTITY = ("steps", "checkpoint_every", "snapshots")
"""TrainConfig fields that say how long a run trains and what it keeps on the way, not what it
is: a resume may change them, and :func:`run_id` leaves them out."""


def run_id(config: dict[str, Any]) -> str:
    """What makes a run itself: its model, settings (but :data:`NOT_IDENTITY`), notes and data,
    hashed. Its checkpoints carry it."""
    train_fields = {
        k: v
        for k, v in config["train"].items()
        if k not in NOT_IDENTITY and LATER_FIELDS.get(k, ...) != v
    }
    key = {k: config.get(k) for k in ("model", "notes", "data")} | {"train": train_fields}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _read_run(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if not (path / "config.json").is_file():
        raise RunError(f"{path}: not a run folder (no config.json)")
    try:
        config = json.loads((path / "config.json").read_text())
        models.ModelConfig.from_dict(config["model"])
        TrainConfig(**config["train"])
    except (ValueError, KeyError, TypeError) as err:
        raise RunError(f"{path / 'config.json'}: malformed ({err})") from err
    ckpt = path / "checkpoint.pt"
    if not ckpt.is_file():
        raise RunError(
            f"{ckpt}: missing (the run was stopped before its first checkpoint); delete {path} "
            "and train it again"
        )
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        raise RunError(f"{ckpt}: corrupt or unreadable ({type(err).__name__}: {err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{ckpt}: not a cinr_lab checkpoint (format {CHECKPOINT_FORMAT})")
    if state["model_config"] != config["model"]:
        raise RunError(
            f"{ckpt}: was written by another model than {path / 'config.json'} describes"
        )
    if state["latents"].shape[0] != len(config["notes"]):
        raise RunError(
            f"{ckpt}: holds {state['latents'].shape[0]} latents, "
            f"the run has {len(config['notes'])} notes"
        )
    if state.get("run", "") and state["run"] != run_id(config):  # older checkpoints lack it
        raise RunError(
            f"{ckpt}: belongs to another run (other notes, data or settings) than "
            f"{path / 'config.json'} describes; it was copied here from elsewhere"
        )
    tensors = {"latents": state["latents"], **state["model"]}
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise RunError(
            f"{ckpt}: NaN or infinity in {', '.join(bad[:3])} (a diverged run); it cannot be "
            "rendered, resumed or exported"
        )
    return config, state


def snapshot_path(path, step: int) -> Path:
    """Where the run in ``path`` keeps its snapshot of ``step`` (``TrainConfig.snapshots``)."""
    return Path(path) / "snapshots" / f"step-{step:06d}.pt"


def snapshot_steps(path) -> list[int]:
    """The steps the run in ``path`` has snapshots of, ascending."""
    return sorted(int(p.stem.split("-")[1]) for p in (Path(path) / "snapshots").glob("step-*.pt"))


def load_run(path, device: str | torch.device | None = None, step: int | None = None) -> Run:
    """Load a run folder's model and latents from its checkpoint (eval mode).

    Args:
        path: the run folder.
        device: where the model goes (``None``: CUDA when present, else the CPU). The latents
            stay on the CPU; rendering moves them to the model in chunks and returns CPU tensors.
        step: load the run's snapshot of this step instead (:func:`snapshot_steps`); 0 is the
            run's initialisation, rebuilt from its seed.
    """
    path = Path(path)
    config, state = _read_run(path)
    if step is not None:
        state = _snapshot_state(path, config, step)
    model_config = models.ModelConfig.from_dict(config["model"])
    model = models.build(model_config)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise RunError(f"{path / 'checkpoint.pt'}: weights do not fit the model ({err})") from err
    model.eval().to(_device() if device is None else device)
    return Run(
        path,
        model,
        state["latents"].float(),  # an export may store them as float16 (pretrained.export)
        config["notes"],
        model_config,
        TrainConfig(**config["train"]),
        state["step"],
        config.get("data"),
    )


def _snapshot_state(path: Path, config: dict, step: int) -> dict:
    """The weights and latents of the run's ``step``: a kept snapshot, or step 0 rebuilt."""
    if step == 0:
        tc = TrainConfig(**config["train"])
        mc = models.ModelConfig.from_dict(config["model"])
        with torch.random.fork_rng(devices=[]):  # as Trainer.__init__ draws them
            torch.manual_seed(tc.seed)
            model = models.build(mc)
        latents = torch.randn(
            len(config["notes"]), mc.latent_dim, generator=torch.Generator().manual_seed(tc.seed)
        ).mul_(tc.latent_std)
        return {"step": 0, "model": model.state_dict(), "latents": latents}
    file = snapshot_path(path, step)
    if not file.is_file():
        kept = ", ".join(map(str, snapshot_steps(path))) or "none"
        raise RunError(f"{file}: no snapshot of step {step} (the run keeps: {kept})")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        raise RunError(f"{file}: corrupt or unreadable ({type(err).__name__}: {err})") from err
    if state.get("run") != run_id(config) or state.get("step") != step:
        raise RunError(f"{file}: is not this run's snapshot of step {step}")
    return state


def check_data(path: Path, recorded: dict | None, root: Path) -> None:
    """Refuse to train further or evaluate the run in ``path`` against other data than its own.

    Args:
        path: the run folder (named in the error).
        recorded: the run's ``data`` (:func:`cinr_lab.nsynth.identity` when it was created), or
            ``None`` for a run saved before runs recorded it: those trained on the embedded set
            unless told otherwise, so only a SoundFont rendering is accepted for them.
        root: the folder about to be used.

    Raises:
        RunError: naming both data sets.
    """
    current = nsynth.identity(root)
    if recorded is None:
        if current["source"] == "soundfont":
            return
        raise RunError(
            f"{path}: the run does not record the data it was trained on (saved by an older "
            f"cinr_lab, most likely on the embedded set); it cannot be checked against "
            f"{nsynth.describe(current)}. Train it again on this data"
        )
    if not nsynth.same_data(recorded, current):
        raise RunError(
            f"{path}: trained on {nsynth.describe(recorded)}, but the data now is "
            f"{nsynth.describe(current)} (set --data or CINR_NSYNTH to the run's data, or train "
            "a new run)"
        )


def fit_or_load(
    path,
    train_config: TrainConfig,
    model_config: models.ModelConfig | None = None,
    progress: bool = True,
) -> Run:
    """The run in ``path``: trained now if absent, resumed if unfinished, loaded if finished.

    This is how notebooks share runs: a later notebook asking for the same run loads it instead
    of training again. A folder holding a run with other configs is an error, never overwritten;
    a run of the same identity asked for more steps (or other snapshots: :data:`NOT_IDENTITY`)
    is trained further to them, so a scale's steps can grow without training anything twice.
    """
    path = Path(path)
    if not (path / "config.json").exists():
        Trainer.create(path, train_config, model_config).fit(progress)
        return load_run(path)
    config = json.loads((path / "config.json").read_text())
    wanted_model = dataclasses.asdict(model_config or models.config_for(train_config.model))
    wanted_model["samples"] = config["model"]["samples"]
    # Read back as configs, so fields added since the run was saved take their defaults.
    saved_model = dataclasses.asdict(models.ModelConfig.from_dict(config["model"]))
    saved_train = dataclasses.asdict(TrainConfig(**config["train"]))  # fields added since: default
    wanted_train = dataclasses.asdict(train_config)

    def identity(fields: dict) -> dict:
        return {k: v for k, v in fields.items() if k not in NOT_IDENTITY}

    if identity(saved_train) != identity(wanted_train) or saved_model != wanted_model:
        raise RunError(
            f"{path}: holds a run with other settings; delete it or choose another folder"
        )
    if not (path / "checkpoint.pt").exists():
        raise RunError(f"{path}: holds a run that never reached its first checkpoint; delete it")
    check_data(path, config.get("data"), nsynth.resolve_root(train_config.data))
    step = load_run(path).step
    if saved_train != wanted_train:
        if train_config.steps < step:
            raise RunError(
                f"{path}: is at step {step}, past the {train_config.steps} steps asked for"
            )
        config["train"] = {**config["train"], **{k: wanted_train[k] for k in NOT_IDENTITY}}
        atomic.write_text(path / "config.json", json.dumps(config, indent=1))
    if step < train_config.steps:
        Trainer.resume(path).fit(progress)
    return load_run(path)


def loss_curve(path) -> dict[str, np.ndarray]:
    """A run's ``loss.csv`` as arrays: ``{"step": ..., "loss": ..., "mse": ..., ...}``."""
    with open(Path(path) / "loss.csv") as fh:
        rows = list(csv.DictReader(fh))
    columns = [k for k in LOSS_COLUMNS if not rows or k in rows[0]]  # 0.1's lack "deriv"
    return {k: np.array([float(r[k]) for r in rows]) for k in columns}


def encode(
    model: nn.Module,
    wave: Tensor,
    steps: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
    coords: int | None = None,
) -> Tensor:
    """Fit a fresh latent to a new clip with the decoder frozen (bring your own sound).

    Args:
        model: a trained decoder.
        wave: ``[samples]`` the clip, as long as the decoder's training clips.
        steps: Adam steps on the latent.
        lr: the latent's learning rate.
        seed: seeds the latent's N(0, 0.001²) start (and the coordinates drawn per step).
        coords: coordinates per step for a continuous decoder, drawn as in training (evenly
            spaced, random offset; the error sum rescaled to the whole clip); ``None``, or a
            decoder that renders whole clips only: every sample, every step.

    Returns:
        ``[latent_dim]`` latent.
    """
    config = model.config
    if wave.shape != (config.samples,):
        raise ValueError(
            f"expected a clip of {config.samples} samples, got shape {tuple(wave.shape)}"
        )
    device = next(model.parameters()).device
    target = wave.to(device).unsqueeze(0)
    gen = torch.Generator().manual_seed(seed)
    z = (torch.randn(1, config.latent_dim, generator=gen) * 1e-3).to(device)
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        for _ in range(steps):
            if coords is None:
                loss = summed_squared_error(model.render(z), target).mean()
            else:
                predict, part, scale = model.training_batch(target, coords, gen)
                loss = scale * summed_squared_error(predict(z), part).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p, flag in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(flag)
    return z.detach()[0].cpu()


def points_per_step(train_config: TrainConfig, model: Decoder, notes: int) -> int:
    """Outputs evaluated per step (what the throughput figures count)."""
    return min(train_config.batch, notes) * model.points_per_note(train_config.coords)


__all__ = [
    "Run",
    "run_id",
    "RunError",
    "check_data",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "encode",
    "load_run",
    "render",
]
