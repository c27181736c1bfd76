"""Pretrained models shipped with the project (``models/``), and how to make one.

A shipped model is a run folder stripped to what rendering needs: ``config.json`` (both configs
and the note list), ``checkpoint.pt`` (weights and latents, no optimiser state) and ``loss.csv``.
:func:`export` writes one from a finished run; :func:`load` reads one by name::

    run = pretrained.load("pcinr-keyboard")   # a cinr_lab.train.Run
    wave = run.render([0])[0]                 # [16000]

``models/README.md`` is the model card: commands, data, steps, wall time, machine and metrics.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import torch

from cinr_lab import atomic, train

SHIPPED = ("pcinr-keyboard", "pcinr-diverse", "tcnn-keyboard", "tcnn-diverse")
"""The models in ``models/``: a PCINR and a TCNN on each embedded paper set."""

KEEP = ("format", "step", "model_config", "model", "latents")
"""Checkpoint entries an exported model keeps (the optimiser and RNG states are dropped)."""


def models_dir() -> Path:
    """``$CINR_MODELS``, else the ``models/`` folder beside the package (a source checkout)."""
    env = os.environ.get("CINR_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


def export(run: str | os.PathLike, out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write the finished run folder ``run`` as a shipped model folder ``out``.

    Raises:
        train.RunError: ``run`` is not a readable run, or ``out`` exists and ``overwrite`` is off.
    """
    run, out = Path(run), Path(out)
    train.load_run(run)  # validates config, checkpoint and weights
    if out.exists() and not overwrite:
        raise train.RunError(f"{out}: exists; pass overwrite=True (--overwrite) to replace it")
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    buffer = io.BytesIO()
    torch.save({k: state[k] for k in KEEP}, buffer)
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out / "checkpoint.pt", buffer.getvalue())
    for name in ("config.json", "loss.csv"):
        with atomic.atomic_path(out / name) as tmp:
            shutil.copyfile(run / name, tmp)
    return out


def load(name: str) -> train.Run:
    """A shipped model by name (see :data:`SHIPPED`), on the CPU in eval mode."""
    path = models_dir() / name
    if not (path / "config.json").exists():
        have = sorted(p.parent.name for p in models_dir().glob("*/config.json"))
        raise train.RunError(
            f"{path}: no shipped model {name!r} here; available: {', '.join(have) or 'none'} "
            "(set CINR_MODELS to the folder that holds them)"
        )
    return train.load_run(path)
