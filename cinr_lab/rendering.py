"""Trained runs loaded and rendered: what the explorer, the analysis and the tables read.

:func:`load_run` loads a run folder (:mod:`cinr_lab.runfolder`), or one of its snapshots, as a
:class:`Run`; :func:`render` queries a decoder for its latents' clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from cinr_lab import checks, models, nsynth
from cinr_lab.audio import NSYNTH_RATE
from cinr_lab.decoder import Decoder
from cinr_lab.recipes import TrainConfig
from cinr_lab.runfolder import RunError, check_data, read, run_id, snapshot_path, snapshot_steps


def default_device() -> torch.device:
    """Where models train and render by default: CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
            out.append(model.render(part.to(device), rate / NSYNTH_RATE).cpu().float())
    return torch.cat(out)


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
    config, state = read(path)
    if step is not None:
        state = _snapshot_state(path, config, step)
    model_config = models.ModelConfig.from_dict(config["model"])
    model = models.build(model_config)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise RunError(f"{path / 'checkpoint.pt'}: weights do not fit the model ({err})") from err
    model.eval().to(default_device() if device is None else device)
    return Run(
        path,
        model,
        state["latents"].float(),  # an export may store them as float16 (ops.ship.export)
        config["notes"],
        model_config,
        TrainConfig.from_dict(config["train"]),
        state["step"],
        config.get("data"),
    )


def _snapshot_state(path: Path, config: dict, step: int) -> dict:
    """The weights and latents of the run's ``step``: a kept snapshot, or step 0 rebuilt."""
    if step == 0:
        tc = TrainConfig.from_dict(config["train"])
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
