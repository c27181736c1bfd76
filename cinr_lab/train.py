"""Auto-decoder training: one learnable latent per note, optimised jointly with the decoder.

A run folder holds everything about one training run::

    RUN/config.json      model and training configs, the notes (so a run rebuilds itself)
    RUN/checkpoint.pt    model, latents, optimizer, step and RNG state (atomically replaced)
    RUN/loss.csv         the loss curve, one row per step
    RUN/audio/*.wav      each note's reconstruction at the end of training (float32)

Resuming from ``checkpoint.pt`` continues exactly as an uninterrupted run would: the same batches,
coordinates and updates, bit for bit on the same machine.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cinr_lab import atomic, models, nsynth
from cinr_lab.audio import NSYNTH_RATE, write_wav
from cinr_lab.losses import multi_stft_loss, summed_squared_error

CHECKPOINT_FORMAT = 1


class RunError(ValueError):
    """A run folder or checkpoint is missing, corrupt, or does not match the request."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train one decoder as an auto-decoder.

    Attributes:
        model: a name in :data:`cinr_lab.models.PRESETS`.
        wr: L2 weight regularisation on the INR's weights (``wr · Σ‖W‖²``); > 0 makes "PCINR WR".
        set: the paper set to fit (``"diverse"`` or ``"keyboard"``; ``None``: every note of
            ``data``, e.g. a folder of your own sounds in NSynth's layout).
        data: NSynth-layout folder (``None``: ``$CINR_NSYNTH`` or the embedded set).
        items: how many notes of the set (``None``: all 1024), spread over the set.
        seconds: clip length (the paper: the first 1.0 s).
        steps: optimisation steps in all.
        batch: notes per step (all of them when the set is smaller).
        coords: coordinates per note and step for a PCINR, evenly spaced with a random offset
            (the paper: 8000 of 16000). A TCNN always sees the whole clip.
        lr: decoder learning rate (``None``: the paper's 1e-5 for a PCINR, 1e-4 for a TCNN).
        latent_lr: latent learning rate (``None``: as ``lr``).
        latent_std: latents start as N(0, latent_std²) (the paper: 0.001).
        inner_steps, inner_lr: the paper's inner loop: gradient steps on the batch's latents
            before each decoder update, differentiated through (0 turns it off).
        mse_weight, stft_weight: weights of the summed squared error and the multi-resolution
            STFT loss (see :mod:`cinr_lab.losses`).
        seed: seeds the decoder's initialisation, the latents, batches and coordinates.
        checkpoint_every: steps between checkpoints (one is always written at the end).
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

    def decoder_lr(self, kind: str) -> float:
        """The decoder's learning rate: ``lr``, else the paper's value for ``kind``."""
        return self.lr if self.lr is not None else {"pcinr": 1e-5, "tcnn": 1e-4}[kind]


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

    def render(self, items: list[int] | None = None, rate: int = NSYNTH_RATE) -> Tensor:
        """Reconstructions of notes ``items`` (default: all) at ``rate`` Hz.

        Returns:
            ``[len(items), samples · rate / 16000]`` float32 on the CPU.
        """
        items = list(range(len(self.notes))) if items is None else items
        if self.model_config.kind == "tcnn" and rate != NSYNTH_RATE:
            raise RunError(
                f"{self.path}: a TCNN renders only its training rate ({NSYNTH_RATE} Hz), not "
                f"{rate} Hz; only a PCINR is continuous in time"
            )
        for i in items:
            if not 0 <= i < len(self.notes):
                raise RunError(
                    f"{self.path}: item {i} out of range (the run has {len(self.notes)} notes)"
                )
        return render(self.model, self.latents[items], rate)


def render(model: nn.Module, z: Tensor, rate: int = NSYNTH_RATE, chunk: int = 8) -> Tensor:
    """Render latents ``z [B, latent_dim]`` as clips at ``rate`` Hz (``[B, m]``, CPU float32).

    A PCINR is queried on :func:`cinr_lab.models.grid` at ``rate / 16000`` times the training
    density (its continuous representation); a TCNN only at the training rate.
    """
    config = model.config
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for part in z.split(chunk):
            part = part.to(device)
            if config.kind == "tcnn":
                if rate != NSYNTH_RATE:
                    raise ValueError(
                        f"a TCNN renders only at its training rate {NSYNTH_RATE} Hz, not {rate}"
                    )
                out.append(model(part).cpu())
            else:
                t = models.grid(config.samples, rate / NSYNTH_RATE, device)
                out.append(model(part, t).cpu())
    return torch.cat(out)


# --------------------------------------------------------------------------- training


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _coordinates(gen: torch.Generator, batch: int, samples: int, k: int) -> Tensor:
    """``[batch, k]`` sample indices, ``k`` evenly spaced over the clip; random offset per row."""
    stride = samples / k
    offset = torch.rand(batch, 1, generator=gen) * stride
    return (offset + torch.arange(k) * stride).long().clamp_(max=samples - 1)


class Trainer:
    """Trains a decoder and the notes' latents; writes the run folder as it goes.

    Use :meth:`create` for a new run and :meth:`resume` to continue one, then :meth:`fit`.
    """

    def __init__(self, path: Path, model_config, train_config: TrainConfig, clips: nsynth.Clips):
        if train_config.wr and model_config.kind != "pcinr":
            raise RunError("--wr (weight regularisation) applies to PCINRs, not to a TCNN")
        self.path, self.clips = path, clips
        self.model_config, self.config = model_config, train_config
        self.device = _device()
        with torch.random.fork_rng(devices=[]):  # seed the init without touching the caller's RNG
            torch.manual_seed(train_config.seed)
            self.model = models.build(model_config).to(self.device)
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
        lr = train_config.decoder_lr(model_config.kind)
        self.optimizer = torch.optim.Adam(
            [
                {"params": self.model.parameters(), "lr": lr},
                {"params": [self.latents], "lr": train_config.latent_lr or lr},
            ]
        )
        self.gen = torch.Generator().manual_seed(train_config.seed + 1)
        self.audio = torch.from_numpy(clips.audio).to(self.device)
        self.step = 0

    # -- construction

    @classmethod
    def create(
        cls, path, train_config: TrainConfig, model_config: models.ModelConfig | None = None
    ) -> Trainer:
        """Start a new run in ``path`` (which must not hold a run already)."""
        path = Path(path)
        if (path / "config.json").exists() or (path / "checkpoint.pt").exists():
            raise RunError(
                f"{path}: already holds a run; pass --resume to continue it or choose another --out"
            )
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
        config = {
            "model": dataclasses.asdict(model_config),
            "train": dataclasses.asdict(train_config),
            "notes": clips.names,
        }
        atomic.write_text(path / "config.json", json.dumps(config, indent=1))
        atomic.write_text(path / "loss.csv", ",".join(LOSS_COLUMNS) + "\n")
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
        clips = nsynth.load(train_config.data, subset=config["notes"], seconds=train_config.seconds)
        if clips.names != config["notes"]:
            raise RunError(f"{path}: the data no longer holds the run's notes in order")
        trainer = cls(path, models.ModelConfig(**config["model"]), train_config, clips)
        trainer.model.load_state_dict(state["model"])
        with torch.no_grad():
            trainer.latents.copy_(state["latents"])
        if "optimizer" not in state:
            raise RunError(
                f"{path / 'checkpoint.pt'}: an exported model (weights only) cannot be resumed; "
                "train the original run further instead"
            )
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.gen.set_state(state["rng"])
        trainer.step = state["step"]
        _truncate_csv(path / "loss.csv", trainer.step)
        return trainer

    # -- the loop

    def loss(self, notes: Tensor) -> dict[str, Tensor]:
        """Losses for one batch of note indices (``[B]``)."""
        c, kind = self.config, self.model_config.kind
        target = self.audio[notes]
        samples = target.shape[1]
        if kind == "pcinr":
            idx = _coordinates(self.gen, len(notes), samples, min(c.coords, samples)).to(
                self.device
            )
            target = target.gather(1, idx)
            t = models.grid(samples, device=self.device)[idx]
            scale = samples / idx.shape[1]  # the sum over K points estimates the sum over the clip

            def predict(z):
                return self.model(z, t)
        else:
            scale = 1.0

            def predict(z):
                return self.model(z)

        z = self.latents[notes]
        for _ in range(c.inner_steps):  # the paper's inner loop on the latents
            inner = summed_squared_error(predict(z), target).mean() * scale
            (grad,) = torch.autograd.grad(inner, z, create_graph=True)
            z = z - c.inner_lr * grad
        pred = predict(z)
        terms = {"mse": summed_squared_error(pred, target).mean() * scale}
        terms["stft"] = (
            multi_stft_loss(pred, target) if c.stft_weight else torch.zeros((), device=self.device)
        )
        if c.wr:
            terms["wr"] = sum(w.pow(2).sum() for w in self.model.inr_parameters())
        else:
            terms["wr"] = torch.zeros((), device=self.device)
        terms["loss"] = (
            c.mse_weight * terms["mse"] + c.stft_weight * terms["stft"] + c.wr * terms["wr"]
        )
        return terms

    def fit(self, progress: bool = True) -> Path:
        """Train to ``config.steps``, checkpointing on the way and at the end; render the notes.

        Returns:
            The run folder.

        Raises:
            TrainingDiverged: the loss became NaN or infinite (the last checkpoint is kept).
        """
        from tqdm.auto import tqdm

        c = self.config
        n = len(self.clips)
        points = points_per_step(c, self.model_config, n)
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
        with open(self.path / "loss.csv", "a", newline="") as fh:
            writer = csv.writer(fh)
            while self.step < c.steps:
                tick = time.perf_counter()
                notes = torch.randperm(n, generator=self.gen)[: min(c.batch, n)].to(self.device)
                terms = self.loss(notes)
                if not torch.isfinite(terms["loss"]):
                    fh.flush()
                    kept = self.path / "checkpoint.pt"
                    raise TrainingDiverged(
                        f"step {self.step + 1}: loss is {terms['loss'].item()}; stopped. "
                        "The last good checkpoint "
                        f"is {kept}" + ("" if kept.exists() else " (none was written yet)")
                    )
                self.optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                self.optimizer.step()
                self.step += 1
                values = {k: terms[k].item() for k in ("loss", "mse", "stft", "wr")}
                writer.writerow(
                    [
                        self.step,
                        *(f"{values[k]:.6g}" for k in ("loss", "mse", "stft", "wr")),
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
                    fh.flush()
                    self.save()
        bar.close()
        self.write_audio()
        return self.path

    # -- persistence

    def save(self) -> None:
        """Atomically write ``checkpoint.pt``."""
        state = {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "model_config": dataclasses.asdict(self.model_config),
            "model": {k: v.cpu() for k, v in self.model.state_dict().items()},
            "latents": self.latents.detach().cpu(),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.gen.get_state(),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic.write_bytes(self.path / "checkpoint.pt", buffer.getvalue())

    def write_audio(self) -> None:
        """Render every note to ``RUN/audio/<note_str>.wav`` (float32, 16 kHz)."""
        folder = self.path / "audio"
        folder.mkdir(exist_ok=True)
        self.model.eval()
        waves = render(self.model, self.latents.detach())
        self.model.train()
        for name, wave in zip(self.clips.names, waves, strict=True):
            write_wav(folder / f"{name}.wav", wave.numpy(), subtype="FLOAT")


LOSS_COLUMNS = ("step", "loss", "mse", "stft", "wr", "seconds")


def _truncate_csv(path: Path, step: int) -> None:
    """Drop loss rows past ``step`` (written after the checkpoint a resume starts from)."""
    lines = path.read_text().splitlines(keepends=True) if path.exists() else []
    kept = [line for line in lines[1:] if int(line.split(",", 1)[0]) <= step]
    atomic.write_text(path, ",".join(LOSS_COLUMNS) + "\n" + "".join(kept))


def _read_run(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if not (path / "config.json").is_file():
        raise RunError(f"{path}: not a run folder (no config.json)")
    try:
        config = json.loads((path / "config.json").read_text())
        models.ModelConfig(**config["model"])
        TrainConfig(**config["train"])
    except (ValueError, KeyError, TypeError) as err:
        raise RunError(f"{path / 'config.json'}: malformed ({err})") from err
    ckpt = path / "checkpoint.pt"
    if not ckpt.is_file():
        raise RunError(f"{ckpt}: missing; the run has no checkpoint yet")
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
    return config, state


def load_run(path) -> Run:
    """Load a run folder's model and latents from its checkpoint (on the CPU, eval mode)."""
    path = Path(path)
    config, state = _read_run(path)
    model_config = models.ModelConfig(**config["model"])
    model = models.build(model_config)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise RunError(f"{path / 'checkpoint.pt'}: weights do not fit the model ({err})") from err
    model.eval()
    return Run(
        path,
        model,
        state["latents"],
        config["notes"],
        model_config,
        TrainConfig(**config["train"]),
        state["step"],
    )


def fit_or_load(
    path,
    train_config: TrainConfig,
    model_config: models.ModelConfig | None = None,
    progress: bool = True,
) -> Run:
    """The run in ``path``: trained now if absent, resumed if unfinished, loaded if finished.

    This is how notebooks share runs: a later notebook asking for the same run loads it instead
    of training again. A folder holding a run with other configs is an error, never overwritten.
    """
    path = Path(path)
    if not (path / "config.json").exists():
        Trainer.create(path, train_config, model_config).fit(progress)
        return load_run(path)
    config = json.loads((path / "config.json").read_text())
    wanted_model = dataclasses.asdict(model_config or models.config_for(train_config.model))
    wanted_model["samples"] = config["model"]["samples"]
    if config["train"] != dataclasses.asdict(train_config) or config["model"] != wanted_model:
        raise RunError(
            f"{path}: holds a run with other settings; delete it or choose another folder"
        )
    if not (path / "checkpoint.pt").exists():
        raise RunError(f"{path}: holds a run that never reached its first checkpoint; delete it")
    if load_run(path).step < train_config.steps:
        Trainer.resume(path).fit(progress)
    return load_run(path)


def loss_curve(path) -> dict[str, np.ndarray]:
    """A run's ``loss.csv`` as arrays: ``{"step": ..., "loss": ..., "mse": ..., ...}``."""
    with open(Path(path) / "loss.csv") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in LOSS_COLUMNS}


def encode(
    model: nn.Module, wave: Tensor, steps: int = 300, lr: float = 1e-2, seed: int = 0
) -> Tensor:
    """Fit a fresh latent to a new clip with the decoder frozen (bring your own sound).

    Args:
        model: a trained decoder.
        wave: ``[samples]`` the clip, as long as the decoder's training clips.
        steps: Adam steps on the latent.
        lr: the latent's learning rate.
        seed: seeds the latent's N(0, 0.001²) start.

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
    z = (
        torch.randn(1, config.latent_dim, generator=torch.Generator().manual_seed(seed)) * 1e-3
    ).to(device)
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    t = None if config.kind == "tcnn" else models.grid(config.samples, device=device)
    try:
        for _ in range(steps):
            pred = model(z) if t is None else model(z, t)
            loss = summed_squared_error(pred, target).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p, flag in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(flag)
    return z.detach()[0].cpu()


def points_per_step(train_config: TrainConfig, model_config: models.ModelConfig, notes: int) -> int:
    """Coordinates evaluated per step (what the throughput figures count)."""
    per_note = (
        min(train_config.coords, model_config.samples)
        if model_config.kind == "pcinr"
        else model_config.samples
    )
    return min(train_config.batch, notes) * per_note


__all__ = [
    "Run",
    "RunError",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "encode",
    "load_run",
    "render",
]
