"""Pretrained models shipped inside the package (``cinr_lab/weights/``).

A shipped model is a run folder stripped to what rendering needs: ``config.json`` (both configs
and the note list), ``checkpoint.pt`` (weights and latents, no optimiser state) and ``loss.csv``.
:func:`cinr_lab.ops.ship.export` writes one from a finished run; :func:`load` reads one by
name::

    run = pretrained.load("pcinr-keyboard")   # a cinr_lab.rendering.Run
    wave = run.render([0])[0]                 # [16000]

``cinr_lab/weights/README.md`` is the model card: commands, data, steps, wall time, machine and
metrics. The models are package data, so ``pip install`` of the project carries them.

The study's seed-0 runs (``weights/runs/`` in a source checkout, not in the package: notebooks
live in the checkout too) are exported the same way; ``make runs`` copies them
(:func:`cinr_lab.ops.ship.restore`).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from cinr_lab import rendering, runfolder

SHIPPED = (
    "pcinr-keyboard",
    "pcinr-diverse",
    "tcnn-keyboard",
    "tcnn-diverse",
    "pcinr-keyboard-64",
    "tcnn-keyboard-64",
)
"""The models in ``cinr_lab/weights/``: a PCINR and a TCNN on each embedded paper set (Table 1's
seed-0 runs, 32 notes), and a second pair on 64 keyboard notes trained ten times longer."""


def models_dir() -> Path:
    """``$CINR_MODELS``, else the package's own ``cinr_lab/weights/`` (installed with it)."""
    env = os.environ.get("CINR_MODELS")
    return Path(env) if env else Path(__file__).resolve().parent / "weights"


def halved(tensor: torch.Tensor) -> bool:
    """Whether ``float16=True`` stores ``tensor`` as float16: a floating matrix whose every
    dimension is above 1 (the mapping network's, the hidden layers', the convolutions', the
    latent table). Vectors keep float32: biases, weight-norm gains, and a PCINR's first-layer
    column, which multiplies time by ω_first = 1760 (rounding it to float16 drops the study's
    keyboard PCINR from 3.4 to −0.9 dB SNR; ``tools/float16_check.py``)."""
    return tensor.is_floating_point() and tensor.dim() >= 2 and min(tensor.shape) > 1


def as_float16(state: dict) -> dict:
    """``state`` (a checkpoint's dict) with its :func:`halved` tensors stored as float16."""
    model = {k: v.half() if halved(v) else v for k, v in state["model"].items()}
    latents = state["latents"].half() if halved(state["latents"]) else state["latents"]
    return {**state, "model": model, "latents": latents}


def sound(name: str) -> Path:
    """A sound shipped in ``cinr_lab/sounds/`` (``name`` without ``.wav``): notes of instruments
    outside both paper sets, for trying ``cinr-lab encode`` (made by ``tools/make_sounds.py``)."""
    folder = Path(__file__).resolve().parent / "sounds"
    path = folder / f"{name}.wav"
    if not path.is_file():
        have = sorted(p.stem for p in folder.glob("*.wav"))
        raise runfolder.RunError(f"{path}: no shipped sound {name!r}; available: {', '.join(have)}")
    return path


def resolve(model: str | os.PathLike) -> rendering.Run:
    """A model by shipped name (:func:`load`), or from a run or exported model folder."""
    path = Path(model)
    if str(model) not in SHIPPED and (path / "config.json").exists():
        return rendering.load_run(path)
    if str(model) in SHIPPED or not path.exists():
        return load(str(model))
    raise runfolder.RunError(f"{path}: not a run or model folder (it has no config.json)")


def load(name: str) -> rendering.Run:
    """A shipped model by name (see :data:`SHIPPED`), in eval mode (on CUDA when present)."""
    path = models_dir() / name
    if not (path / "config.json").exists():
        have = sorted(p.parent.name for p in models_dir().glob("*/config.json"))
        raise runfolder.RunError(
            f"{path}: no shipped model {name!r} here; available: {', '.join(have) or 'none'} "
            "(set CINR_MODELS to the folder that holds them)"
        )
    return rendering.load_run(path)
