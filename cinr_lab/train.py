"""Auto-decoder training: one learnable latent per note, optimised jointly with the decoder.

A :class:`Trainer` trains a decoder and its notes' latents under a
:class:`~cinr_lab.recipes.TrainConfig` and writes its run folder through a
:class:`~cinr_lab.runfolder.Writer` (what the folder holds, and how it is locked and read back,
is :mod:`cinr_lab.runfolder`'s; loading and rendering a finished run, :mod:`cinr_lab.rendering`'s).

Resuming from ``checkpoint.pt`` continues exactly as an uninterrupted run would: the same batches,
coordinates and updates, bit for bit on the same machine and one torch thread (with more, some
CPU kernels can round differently from one run to the next, resumed or not).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from cinr_lab import atomic, checks, models, nsynth, runfolder
from cinr_lab.decoder import Decoder
from cinr_lab.losses import multi_stft_loss, summed_squared_error
from cinr_lab.recipes import TrainConfig
from cinr_lab.rendering import Run, default_device, load_run, render
from cinr_lab.runfolder import LOSS_COLUMNS, NOT_IDENTITY, RunError, check_data


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class Trainer:
    """Trains a decoder and the notes' latents; writes the run folder as it goes.

    Use :meth:`create` for a new run and :meth:`resume` to continue one, then :meth:`fit`.
    """

    def __init__(self, path: Path, model_config, train_config: TrainConfig, clips: nsynth.Clips):
        self.path, self.clips = path, clips
        self.model_config, self.config = model_config, train_config
        self.device = default_device()
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
        self.folder: runfolder.Writer | None = None  # set by create / resume
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
        config = {
            "model": dataclasses.asdict(model_config),
            "train": dataclasses.asdict(train_config),
            "notes": clips.names,
            "data": nsynth.identity(clips.root),
        }
        trainer.folder = runfolder.Writer.create(path, config, trainer.state())
        trainer.saved_step = 0
        return trainer

    @classmethod
    def resume(cls, path, steps: int | None = None, model: str | None = None) -> Trainer:
        """Continue the run in ``path`` from its checkpoint, optionally to a new total ``steps``."""
        path = Path(path)
        config, state = runfolder.read(path)
        train_config = TrainConfig.from_dict(config["train"])
        if model is not None and model != train_config.model:
            raise RunError(f"{path}: holds a {train_config.model!r} run, not {model!r}")
        if steps is not None:
            train_config = dataclasses.replace(train_config, steps=steps)
        if train_config.steps < state["step"]:
            raise checks.ConfigError(
                "steps", f"{train_config.steps} is below the run's step {state['step']} ({path})"
            )
        if "optimizer" not in state:
            raise RunError(
                f"{path / 'checkpoint.pt'}: an exported model (weights only) cannot be resumed; "
                "train the original run further instead"
            )
        root = nsynth.resolve_root(train_config.data)
        check_data(path, config.get("data"), root)
        clips = nsynth.load(root, subset=config["notes"], seconds=train_config.seconds)
        if clips.names != config["notes"]:
            raise RunError(f"{path}: the data no longer holds the run's notes in order")
        trainer = cls(path, models.ModelConfig.from_dict(config["model"]), train_config, clips)
        trainer.folder = runfolder.Writer.resume(path, config, state["step"])
        trainer.load_state(state)
        return trainer

    def load_state(self, state: dict) -> None:
        """Take up a checkpoint's weights, latents, optimisers, schedule, RNG and step."""
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            self.latents.copy_(state["latents"])
        saved = state["optimizer"]
        if "main" not in saved:  # cinr_lab 0.1 saved its one optimizer's state as is
            saved = {"main": saved}
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(saved[name])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.gen.set_state(state["rng"])
        self.step = self.saved_step = state["step"]

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

    def fit(self, progress: bool = True, after_step: Callable[[Trainer], bool] | None = None):
        """Train to ``config.steps``, checkpointing on the way and at the end; render the notes.

        Args:
            progress: show a progress bar.
            after_step: called with the trainer after every step; a true return stops training
                there (checkpointed). A wall-clock race uses it (:class:`cinr_lab.ops.race.Clock`).

        Returns:
            The run folder.

        Raises:
            TrainingDiverged: the loss became NaN or infinite (the last checkpoint is kept).
        """
        from tqdm.auto import tqdm

        c = self.config
        points = points_per_step(c, self.model, len(self.clips))
        # At most one redraw a second: a notebook kernel queues every redraw as a message,
        # and a client that reads them only after the cell (nbval) would lose some.
        bar = tqdm(total=c.steps, initial=self.step, desc=f"{c.model} {c.set}",
                   disable=None if progress else True, mininterval=1.0)  # fmt: skip
        start = time.perf_counter()
        try:
            with self.folder.losses() as rows:
                while self.step < c.steps:
                    tick = time.perf_counter()
                    terms = self.train_step(self.batch_notes())
                    values = [terms[k].item() for k in LOSS_COLUMNS[1:-1]]
                    self.seconds += time.perf_counter() - tick
                    elapsed = time.perf_counter() - start
                    rows.writerow([self.step, *(f"{v:.6g}" for v in values), f"{elapsed:.3f}"])
                    bar.update(1)
                    rate = points / (time.perf_counter() - tick)
                    bar.set_postfix(loss=f"{values[0]:.4g}", pts_s=f"{rate:.3g}", refresh=False)
                    if self.step % c.checkpoint_every == 0 or self.step == c.steps:
                        self.save()
                    if self.step in c.snapshots:
                        self.snapshot()
                    if after_step is not None and after_step(self):
                        break
            if self.step != self.saved_step:  # stopped early, between checkpoints
                self.save()
        except TrainingDiverged as err:
            raise TrainingDiverged(f"{err}; stopped. {self._kept()}") from None
        finally:
            bar.close()
            self.folder.close()
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

    def state(self, weights_only: bool = False) -> dict:
        """What a checkpoint holds: model, latents, step (and but for ``weights_only``, the
        optimisers, schedule and RNG a resume needs), on the CPU."""
        state = {
            "step": self.step,
            "model_config": dataclasses.asdict(self.model_config),
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "latents": self.latents.detach().cpu(),
        }
        if not weights_only:
            state["optimizer"] = {k: o.state_dict() for k, o in self.optimizers.items()}
            state["scheduler"] = None if self.scheduler is None else self.scheduler.state_dict()
            state["rng"] = self.gen.get_state()
        return state

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
        self.folder.save(self.state())
        self.saved_step = self.step

    def snapshot(self) -> Path:
        """Keep this step's model and latents in ``RUN/snapshots/step-<step>.pt`` (weights only,
        matrices in float16 as :func:`cinr_lab.ops.ship.export` stores them); returns it."""
        from cinr_lab.pretrained import as_float16

        return self.folder.snapshot(as_float16(self.state(weights_only=True)))

    def write_audio(self) -> None:
        """Render every note to ``RUN/audio/<note_str>.wav`` (float32, 16 kHz)."""
        self.model.eval()
        waves = render(self.model, self.latents.detach())
        self.model.train()
        self.folder.write_audio(self.clips.names, waves)


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
    # Read back as configs, so fields added since the run was saved take the values it had.
    saved_model = dataclasses.asdict(models.ModelConfig.from_dict(config["model"]))
    saved_train = dataclasses.asdict(TrainConfig.from_dict(config["train"]))
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
    weight = next(model.parameters())
    target = wave.to(weight.device, weight.dtype).unsqueeze(0)
    gen = torch.Generator().manual_seed(seed)
    z = (torch.randn(1, config.latent_dim, generator=gen) * 1e-3).to(weight.device, weight.dtype)
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


__all__ = ["Trainer", "TrainingDiverged", "encode", "fit_or_load", "points_per_step"]
