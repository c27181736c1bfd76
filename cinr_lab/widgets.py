"""The explorer: scrub a trained model's latents and sine scales while listening.

The work is done by plain functions, which notebook 06 calls with fixed values (and asserts on):

* :func:`latent_pca` — the principal directions of a run's latent table;
* :func:`latent` — a latent from a note, an interpolation towards a second note, and offsets
  along those directions;
* :func:`synthesize` — one clip from a latent, with ``ω_first`` and ``ω_hidden`` scaled.

:class:`Explorer` puts ipywidgets controls on them: every change re-renders one second (debounced),
updates an inline player and the plots, and a button saves the current sound as a wav.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cinr_lab import rendering
from cinr_lab.audio import NSYNTH_RATE, wav_bytes, write_wav
from cinr_lab.decoder import Decoder

OMEGA_FIRST_RANGE = (0.5, 2.0)
"""The ``ω_first ×`` slider's range: an octave down to an octave up (``ω_first`` is the clock)."""

OMEGA_HIDDEN_RANGE = (0.95, 1.05)
"""The ``ω_hidden ×`` slider's range. Narrow on purpose: the weights were trained for one
``ω_hidden``, and on the shipped PCINRs a change of 1-2 % already turns most notes into a constant
offset (notebook 06 measures it); beyond ±5 % there is only offset and noise to hear."""


@dataclass(frozen=True)
class LatentPCA:
    """Principal directions of a latent table (``sklearn.decomposition.PCA``).

    Attributes:
        mean: ``[latent_dim]`` the mean latent.
        components: ``[k, latent_dim]`` unit directions, most variance first.
        explained: ``[k]`` share of the table's variance along each.
        std: ``[k]`` standard deviation of the notes' coordinates along each (slider unit).
    """

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray
    std: np.ndarray


def latent_pca(latents: torch.Tensor | np.ndarray, k: int = 4) -> LatentPCA:
    """The top ``k`` principal directions of ``latents [notes, latent_dim]``."""
    from sklearn.decomposition import PCA

    table = np.asarray(latents, np.float64)
    if table.ndim != 2 or len(table) < 2:
        raise ValueError(f"latents must be [notes >= 2, latent_dim], got shape {table.shape}")
    k = min(k, len(table) - 1)
    pca = PCA(n_components=k).fit(table)
    return LatentPCA(
        pca.mean_, pca.components_, pca.explained_variance_ratio_, np.sqrt(pca.explained_variance_)
    )


def latent(
    run: rendering.Run,
    note: int,
    other: int | None = None,
    mix: float = 0.0,
    pca: LatentPCA | None = None,
    offsets=(),
) -> torch.Tensor:
    """A latent to render: note ``note``'s, moved ``mix`` of the way to note ``other``'s, then
    ``offsets[i]`` standard deviations along principal direction ``i``.

    Returns:
        ``[latent_dim]`` float32.
    """
    z = run.latents[note].double()
    if other is not None:
        z = (1 - mix) * z + mix * run.latents[other].double()
    if len(offsets):
        if pca is None or len(offsets) > len(pca.std):
            raise ValueError(f"{len(offsets)} offsets need a LatentPCA with at least as many")
        step = (np.asarray(offsets) * pca.std[: len(offsets)]) @ pca.components[: len(offsets)]
        z = z + torch.from_numpy(step)
    return z.float()


def scaled_omegas(model: Decoder, first: float = 1.0, hidden: float = 1.0):
    """Temporarily multiply a decoder's ``ω_first`` and ``ω_hidden`` (the weights are untouched);
    see :meth:`cinr_lab.decoder.Decoder.scaled`. Multipliers of 1 suit any decoder."""
    return model.scaled(first, hidden)


def synthesize(
    model: nn.Module, z: torch.Tensor, first: float = 1.0, hidden: float = 1.0
) -> np.ndarray:
    """One clip from latent ``z [latent_dim]`` at the training rate, ω scaled by ``first`` and
    ``hidden``; ``[samples]`` float32 (clipped to [-1, 1] only when written or played)."""
    with scaled_omegas(model, first, hidden):
        return rendering.render(model, z.reshape(1, -1))[0].numpy()


def default_other(notes: int, note: int) -> int:
    """The explorer's first "towards note": half the table away from ``note`` (another note,
    so the interpolation slider moves the sound from the start), or ``note`` if it is alone."""
    return (note + notes // 2) % notes


class Explorer:
    """An ipywidgets panel over one or more runs (e.g. the shipped models).

    Args:
        runs: ``{label: Run}``.
        out: where the save button writes wavs.
        components: principal directions to offer as sliders.
        debounce: seconds of quiet after a change before re-rendering.
    """

    def __init__(
        self,
        runs: Mapping[str, rendering.Run],
        out: str | Path = "explorer",
        components: int = 4,
        debounce: float = 0.2,
    ):
        import ipywidgets as w

        self.runs = dict(runs)
        self.out = Path(out)
        self.debounce = debounce
        self._pending: asyncio.TimerHandle | None = None
        self._truth: dict[str, np.ndarray] = {}
        self.wave = np.zeros(0, np.float32)
        first = next(iter(self.runs.values()))
        style = {"description_width": "9em"}
        layout = w.Layout(width="26em")
        wide = w.Layout(width="34em")  # NSynth note names (e.g. keyboard_acoustic_004-060-127)

        def slider(desc, lo, hi, value, step, log=False, fmt=".2f"):
            cls = w.FloatLogSlider if log else w.FloatSlider
            kw = dict(base=2, min=np.log2(lo), max=np.log2(hi)) if log else dict(min=lo, max=hi)
            return cls(value=value, step=step, description=desc, style=style, layout=layout,
                       continuous_update=True, readout_format=fmt, **kw)  # fmt: skip

        self.model = w.Dropdown(options=list(self.runs), description="model", style=style,
                                layout=layout)  # fmt: skip
        self.note = w.Dropdown(options=self._notes(first), description="note", style=style,
                               layout=wide)  # fmt: skip
        self.other = w.Dropdown(options=self._notes(first), description="towards note",
                                style=style, layout=wide)  # fmt: skip
        self.mix = slider("interpolation", 0.0, 1.0, 0.0, 0.05)
        self.pcs = [slider(f"PC {i + 1}", -3.0, 3.0, 0.0, 0.1) for i in range(components)]
        self.omega_first = slider("ω_first ×", *OMEGA_FIRST_RANGE, 1.0, 0.05, log=True)
        self.omega_hidden = slider("ω_hidden ×", *OMEGA_HIDDEN_RANGE, 1.0, 0.005, fmt=".3f")
        self.autoplay = w.Checkbox(value=False, description="autoplay")
        self.save_button = w.Button(description="save wav", icon="download")
        self.status = w.HTML()
        self.player = w.Audio(format="wav", autoplay=False, loop=False)
        self.truth_player = w.Audio(format="wav", autoplay=False, loop=False)
        self.plot = w.Output()
        self.pca: LatentPCA | None = None

        self.model.observe(self._model_changed, "value")
        for control in (self.note, self.other, self.mix, *self.pcs, self.omega_first,
                        self.omega_hidden):  # fmt: skip
            control.observe(self._changed, "value")
        self.autoplay.observe(lambda change: setattr(self.player, "autoplay", change["new"]),
                              "value")  # fmt: skip
        self.save_button.on_click(lambda _: self.save())
        self._model_changed()

        controls = w.VBox([
            self.model, self.note,
            w.HTML("<b>Interpolate</b> between two notes' latents"), self.other, self.mix,
            w.HTML("<b>Latent directions</b> (principal components; slider in std devs)"),
            *self.pcs,
            w.HTML("<b>Sine scales</b> (INRs only)"), self.omega_first, self.omega_hidden,
            w.HBox([self.autoplay, self.save_button]), self.status,
        ])  # fmt: skip
        players = w.VBox([w.HTML("reconstruction"), self.player, w.HTML("truth"),
                          self.truth_player])  # fmt: skip
        self.panel = w.VBox([w.HBox([controls, players]), self.plot])

    # -- plain calls (what the widgets drive)

    @property
    def run(self) -> rendering.Run:
        return self.runs[self.model.value]

    def current_latent(self) -> torch.Tensor:
        """The latent the controls describe."""
        return latent(
            self.run, self.note.value, self.other.value, self.mix.value, self.pca,
            [s.value for s in self.pcs[: len(self.pca.std)]] if self.pca else (),
        )  # fmt: skip

    def render(self) -> np.ndarray:
        """Render the controls' sound now, update the players and the plots; returns the wave."""
        start = time.perf_counter()
        first, hidden = self.omega_first.value, self.omega_hidden.value
        if not self.run.model.scales():
            first = hidden = 1.0
        self.wave = synthesize(self.run.model, self.current_latent(), first, hidden)
        seconds = time.perf_counter() - start
        self.player.value = wav_bytes(self.wave)
        truth = self._truth_of(self.model.value)[self.note.value]
        self.truth_player.value = wav_bytes(truth)
        self._draw(truth)
        self.status.value = f"rendered 1 s of audio in {seconds:.3f} s"
        return self.wave

    def add_sound(self, model: str, name: str, z: torch.Tensor, truth: np.ndarray) -> int:
        """Offer a latent of your own (e.g. from :func:`cinr_lab.train.encode`) as one more note
        of model ``model``, with ``truth`` the sound it was fitted to; returns its note index.

        The run's latent table grows by one row in this explorer only (the principal directions
        are recomputed over the table it now holds); nothing on disk changes.
        """
        run = self.runs[model]
        z = torch.as_tensor(z, dtype=run.latents.dtype).reshape(1, -1)
        truth = np.asarray(truth, np.float32)
        if z.shape[1] != run.latents.shape[1]:
            raise ValueError(
                f"{name}: latent of size {z.shape[1]}, {model} uses {run.latents.shape[1]}"
            )
        if truth.shape != (run.model_config.samples,):
            raise ValueError(
                f"{name}: truth of shape {truth.shape}, {model} renders {run.model_config.samples}"
            )
        table = self._truth_of(model)
        self.runs[model] = dataclasses.replace(
            run, latents=torch.cat([run.latents, z]), notes=[*run.notes, name]
        )
        self._truth[model] = np.concatenate([table, truth[None]])
        if self.model.value == model:
            self._model_changed()
        return len(run.notes)

    def save(self) -> Path:
        """Write the current sound to ``out/<model>-<note>-<k>.wav`` (never overwriting)."""
        self.out.mkdir(parents=True, exist_ok=True)
        stem = f"{self.model.value}-{self.run.notes[self.note.value]}"
        k = 0
        while (path := self.out / f"{stem}-{k}.wav").exists():
            k += 1
        write_wav(path, self.wave)
        self.status.value = f"saved {path}"
        return path

    # -- widget plumbing

    def _notes(self, run: rendering.Run) -> list[tuple[str, int]]:
        return [(name, i) for i, name in enumerate(run.notes)]

    def _truth_of(self, label: str) -> np.ndarray:
        if label not in self._truth:
            self._truth[label] = self.runs[label].truth()  # refuses other data than the run's
        return self._truth[label]

    def _model_changed(self, change=None) -> None:
        run = self.run
        self.pca = latent_pca(run.latents, len(self.pcs))
        for i, s in enumerate(self.pcs):
            share = self.pca.explained[i] if i < len(self.pca.explained) else 0.0
            s.description = f"PC {i + 1} ({share:.0%})"
            s.disabled = i >= len(self.pca.explained)
        scalable = bool(run.model.scales())
        self.omega_first.disabled = self.omega_hidden.disabled = not scalable
        with self.note.hold_trait_notifications(), self.other.hold_trait_notifications():
            self.note.options = self._notes(run)
            self.other.options = self._notes(run)
            self.other.value = default_other(len(run.notes), self.note.value)
        self.render()

    def _changed(self, change=None) -> None:
        """Debounce: render once the controls have been still for ``debounce`` seconds."""
        if self._pending is not None:
            self._pending.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.debounce <= 0:
            self._render_or_report()
        else:
            self._pending = loop.call_later(self.debounce, self._render_or_report)

    def _render_or_report(self) -> None:
        """Render; a failure shows in the status line (a callback's exception has nowhere else
        to go) and is re-raised for the kernel's log."""
        try:
            self.render()
        except Exception as err:
            self.status.value = f"error: {type(err).__name__}: {err}"
            raise

    def _draw(self, truth: np.ndarray) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import clear_output

        from cinr_lab import plots

        with self.plot:
            clear_output(wait=True)
            fig, axes = plt.subplots(2, 2, figsize=(11, 4.6), sharex="col")
            limit = plots.amplitude_limit(truth, self.wave)  # one scale for both
            plots.waveplot(truth, NSYNTH_RATE, axes[0][0], "truth", limit)
            plots.waveplot(self.wave, NSYNTH_RATE, axes[1][0], "explorer", limit)
            plots.specplot(truth, NSYNTH_RATE, axes[0][1], "truth")
            plots.specplot(self.wave, NSYNTH_RATE, axes[1][1], "explorer")
            fig.tight_layout()
            plt.show()
