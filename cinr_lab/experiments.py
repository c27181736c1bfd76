"""The study's experiments: the scales they run at, the Table 1 grid, the ω sweep, and where their
runs live. Notebooks, ``cinr-lab table`` / ``runs`` and ``cinr-lab train --preset`` read it.

A :class:`Scale` says how big a run is (notes, steps, batch, coordinates); a :class:`Row` says how
one Table 1 row trains (model preset, recipe, weight decay); a run's training config is the row's
recipe with the scale's sizes, ``train_config(scale, arch, set, seed)``. To add an experiment,
add a row to :data:`ARCHS` (it joins Table 1, ``make runs`` and the notebooks that loop over the
rows) or a scale to :data:`SCALES`.

Typical use::

    run = experiments.fit("study", "keyboard", "PCINR")     # loaded, or trained first
    experiments.run_path("runs", "study", "keyboard", "PCINR Wide", seed=1)
    # runs/study/keyboard/PCINR-Wide-seed1
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cinr_lab import checks, models, nsynth, recipes, rendering, train


@dataclass(frozen=True)
class Scale:
    """How big a run is; everything else comes from the recipe.

    Attributes:
        items: notes per set.
        steps: training steps (a row may scale them, see :attr:`Row.steps_factor`).
        batch: notes per step.
        cdpam_items: notes CDPAM is evaluated on in Table 1 (``None``: all).
        coords: coordinates per note and step for the paper's recipe (``None``: each recipe's
            own; a recipe with another count keeps its ratio to the paper's).
        lrs: the decoder's learning rate per model preset at this scale, for a recipe that
            leaves it to the paper's per-model default (a row's or recipe's own rate wins).
        compute: steps multiplier per model preset, so that its run spends the compute a
            PCINR spends in ``steps`` (a TCNN step costs a fraction of a PCINR step): its point
            at equal compute.
        longer: steps multiplier per model preset for the whole run (default its ``compute``),
            when it needs more than a PCINR's compute to learn its notes. A run trained past
            ``steps`` keeps snapshots at ``steps`` (equal steps) and at its equal-compute step.
        snapshots: steps at which every run keeps its model (``TrainConfig.snapshots``), to
            measure it along its training.
    """

    items: int
    steps: int
    batch: int
    cdpam_items: int | None
    coords: int | None = None
    lrs: Mapping[str, float] = field(default_factory=dict)
    compute: Mapping[str, float] = field(default_factory=dict)
    longer: Mapping[str, float] = field(default_factory=dict)
    snapshots: tuple[int, ...] = ()

    def equal_compute(self, model: str) -> int:
        """The step at which a ``model`` run has spent a PCINR's ``steps`` of compute."""
        return round(self.steps * self.compute.get(model, 1.0))

    def apply(self, config: recipes.TrainConfig, steps_factor: float = 1.0) -> recipes.TrainConfig:
        """``config`` (a recipe) at this scale: its notes, steps, batch, coordinates, rate and
        snapshots."""
        model = config.model
        factor = self.longer.get(model, self.compute.get(model, 1.0))
        steps = round(self.steps * steps_factor * factor)
        points = {self.steps, self.equal_compute(model)} if factor > 1 else set()
        snapshots = {k for k in (*self.snapshots, *points) if k < steps}
        fields = dict(
            items=self.items, batch=self.batch, steps=steps, snapshots=tuple(sorted(snapshots))
        )
        if self.coords is not None:
            fields["coords"] = round(self.coords * config.coords / recipes.RECIPES["paper"].coords)
        if config.lr is None and config.model in self.lrs:
            fields["lr"] = self.lrs[config.model]
        return dataclasses.replace(config, **fields)


SCALES: dict[str, Scale] = {
    # Seconds on a laptop: the whole pipeline, nothing learnt. What the tests train.
    "smoke": Scale(items=4, steps=4, batch=4, cdpam_items=2),
    # The committed study (the CPU default): 32 notes per set (4x cinr_lab 0.1's 8), 200 steps of
    # 8 notes = 50 epochs: off the silence plateau, far from fitted. About 75 minutes for Table 1
    # (both sets, 5 rows, 3 seeds) on 2 CPU cores.
    "study": Scale(items=32, steps=200, batch=8, cdpam_items=32),
    # Fitted models (issue 27): 16 notes per set, every note in every step (batch 16), trained
    # until the notes are learned: 2000 steps for the PCINRs. 1000 coordinates per note and step
    # (half the paper code's 2000: twice the steps in the same time, results/recipe_sweep.md),
    # rates from a short sweep on 16 keyboard notes (results/fit_sweep_*.md: the TCNN at 3e-4,
    # the PCINR at the paper's 1e-5, which Wide and WR share). A TCNN step costs 0.57-0.63 of a
    # PCINR step here (two timings; results/fit/step_cost.md), so its step 3500 is a PCINR's
    # 2000 in compute, within 10 %; it learns its
    # notes more slowly (6.8 dB at step 2000 where the PCINR has 15.9 on the diverse set), so it
    # trains 8000 steps in all, keeping snapshots at 2000 (equal steps) and 3500 (equal
    # compute). Every run keeps snapshots to measure its hiss along training. About 20-45
    # minutes a run on one core.
    "fit": Scale(
        items=16,
        steps=2000,
        batch=16,
        cdpam_items=16,
        coords=1000,
        lrs={"tcnn": 3e-4, "pcinr": 1e-5, "pcinr-wide": 1e-5},
        compute={"tcnn": 1.75},
        longer={"tcnn": 4.0},
        snapshots=(100, 250, 500, 1000, 1500),
    ),  # fmt: skip
    # The paper: 1024 notes, 8000 coordinates per note (its README's table). Batches of 16: the
    # paper code's max_high_res_batch_size (its train.py defaults --batch_size to 128, its README
    # to 32); the paper does not say which it trained with. Meant for a GPU.
    "paper": Scale(items=1024, steps=100_000, batch=16, cdpam_items=None, coords=8000),
}
"""Named scales: ``cinr-lab table --scale study`` is the committed study."""

DEFAULT_SCALE = "study"

SCALE_ENV = "CINR_SCALE"
"""Environment variable that picks the notebooks' scale (default :data:`DEFAULT_SCALE`)."""


def paper_sets(sets) -> tuple[str, ...]:
    """The paper sets asked for, checked, in the paper's column order.

    Raises:
        checks.ConfigError: an unknown set, or none.
    """
    unknown = [s for s in sets if s not in nsynth.SETS]
    if unknown or not sets:
        raise checks.ConfigError(
            "sets",
            (f"unknown set {unknown[0]!r}" if unknown else "no set given")
            + f"; choose from {', '.join(nsynth.SETS)}",
        )
    return tuple(s for s in nsynth.SETS if s in sets)


def scale_name(name: str | None = None) -> str:
    """The scale a notebook runs at: ``name``, else ``$CINR_SCALE``, else the default; checked."""
    name = name or os.environ.get(SCALE_ENV) or DEFAULT_SCALE
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}")
    return name


# --------------------------------------------------------------------------- Table 1


@dataclass(frozen=True)
class Row:
    """How one table row's runs are trained.

    Attributes:
        model: a preset in :data:`cinr_lab.models.PRESETS`.
        recipe: a name in :data:`cinr_lab.recipes.RECIPES`.
        weight_decay: the paper code's ``--weight_decay`` (coupled L2 on the INR's parameters).
        steps_factor: the row trains ``steps_factor × scale.steps`` steps; "ours" takes half the
            coordinates per step, so twice the steps spends the same wall time.
        lr: the decoder's learning rate (``None``: the recipe's, else the paper's per model).
    """

    model: str
    recipe: str = "paper"
    weight_decay: float = 0.0
    steps_factor: float = 1.0
    lr: float | None = None


ARCHS: dict[str, Row] = {
    "TCNN": Row("tcnn"),
    "PCINR": Row("pcinr"),
    "PCINR Wide": Row("pcinr-wide"),
    "PCINR WR": Row("pcinr", weight_decay=1.0),
    "PCINR (ours)": Row("pcinr", recipe="ours", steps_factor=2.0),
}
"""Table rows: the paper's four architectures, as its code builds and trains them, and ours.

"PCINR Wide" is the paper code's ``piGAN_custom``, whose mapping network stays at its random
initialisation (docs/fidelity.md). WR's decay, 1.0, is the value the paper code's README lists
for ``--weight_decay`` (its argparse default is 0; the paper does not give the value it used).
"PCINR (ours)" is ``recipe="ours"`` on the same model, given the same wall time as "PCINR".
"""


def train_config(
    scale: Scale | str, arch: str, set_name: str, seed: int, rows: dict[str, Row] | None = None
) -> recipes.TrainConfig:
    """The training config of one table cell's run (``arch`` a row of ``rows``, default
    :data:`ARCHS`)."""
    scale = SCALES[scale] if isinstance(scale, str) else scale
    row = (ARCHS if rows is None else rows)[arch]
    config = recipes.recipe(
        row.recipe, model=row.model, set=set_name, seed=seed, weight_decay=row.weight_decay,
        checkpoint_every=100,
    )  # fmt: skip
    if row.lr is not None:
        config = dataclasses.replace(config, lr=row.lr)
    return scale.apply(config, row.steps_factor)


def run_path(runs: str | Path, scale: str, set_name: str, arch: str, seed: int) -> Path:
    """Where a table cell's run lives, shared with the notebooks.

    Returns:
        ``runs/<scale>/<set>/<Arch>-seed<k>`` (the row's name with runs of other characters than
        letters and digits as one ``-``: ``PCINR-Wide``, ``PCINR-ours``).
    """
    slug = re.sub(r"[^A-Za-z0-9]+", "-", arch).strip("-")
    return Path(runs) / scale / set_name / f"{slug}-seed{seed}"


def fit(
    scale: str | Scale,
    set_name: str,
    arch: str,
    seed: int = 0,
    runs: str | Path = "runs",
    data: str | None = None,
    progress: bool = True,
    rows: dict[str, Row] | None = None,
) -> rendering.Run:
    """One table cell's run: loaded from its folder, or trained (or resumed) there first.

    Notebooks 02, 04 and 05 call this with the table's scale, so they share the table's runs;
    another table (``rows``, e.g. :data:`cinr_lab.beyond.VARIANTS`) shares a run wherever a row
    of the same name trains the same way.
    """
    name = scale if isinstance(scale, str) else "custom"
    tc = dataclasses.replace(train_config(scale, arch, set_name, seed, rows), data=data)
    return train.fit_or_load(run_path(runs, name, set_name, arch, seed), tc, progress=progress)


# --------------------------------------------------------------------------- the ω_hidden sweep

OMEGA_SWEEP = (30.0, 80.0, 245.0, 600.0)
"""``ω_hidden`` values of notebook 05's sweep; 245 is the paper's (and the table's PCINR run)."""

SWEEP_SET = "keyboard"
"""The sweep fits the uniform set, where the paper sees the hiss."""


def sweep_path(runs: str | Path, scale: str, omega_hidden: float, seed: int = 0) -> Path:
    """Run folder of one sweep point; the paper's ``ω_hidden`` is the table's PCINR run."""
    if omega_hidden == models.BASE.omega_hidden:
        return run_path(runs, scale, SWEEP_SET, "PCINR", seed)
    return Path(runs) / scale / SWEEP_SET / f"PCINR-omega{omega_hidden:g}-seed{seed}"


def sweep_run(
    scale: str,
    omega_hidden: float,
    runs: str | Path = "runs",
    seed: int = 0,
    data: str | None = None,
    progress: bool = True,
) -> rendering.Run:
    """The table's PCINR on the keyboard set with another ``ω_hidden`` (loaded, or trained).

    Everything else (notes, steps, learning rates, seed) is the table's ``scale``, so the sweep
    changes one thing. Under SIREN's initialisation a hidden layer's ``ω·W`` starts with the same
    distribution whatever ``ω``; what ``ω_hidden`` changes is how far one step moves ``ω·W``
    (about ``ω · lr``), and how much the FiLM frequencies ``γ`` matter next to ``ω``.
    """
    tc = dataclasses.replace(train_config(scale, "PCINR", SWEEP_SET, seed), data=data)
    mc = models.config_for(ARCHS["PCINR"].model, omega_hidden=float(omega_hidden))
    return train.fit_or_load(sweep_path(runs, scale, omega_hidden, seed), tc, mc, progress)


def study_runs(runs: str | Path, scale: str, seeds: int = 1) -> list[tuple[Path, object]]:
    """Every run the notebooks share at ``scale``: ``[(path, fit)]``, ``fit(data, progress)``
    loading or training it; Table 1's rows for ``seeds`` seeds, then the ω sweep's extra points."""
    checks.integer("seeds", seeds, minimum=1)
    out, seen = [], set()
    for seed in range(seeds):
        for set_name in nsynth.SETS:
            for arch in ARCHS:
                path = run_path(runs, scale, set_name, arch, seed)
                out.append((path, lambda d, p, s=set_name, a=arch, k=seed: fit(
                    scale, s, a, k, runs, d, p)))  # fmt: skip
                seen.add(path)
    for omega in OMEGA_SWEEP:
        path = sweep_path(runs, scale, omega)
        if path not in seen:  # the sweep's ω_hidden = 245 point is the table's PCINR run
            out.append((path, lambda d, p, o=omega: sweep_run(scale, o, runs, 0, d, p)))
    return out


def figure_path(folder: str | Path, name: str, scale: str) -> Path:
    """Where a notebook saves figure ``name``: ``folder/name.png`` at the default scale,
    ``folder/name_<scale>.png`` at another, so a paper-scale run never overwrites the study's."""
    suffix = "" if scale == DEFAULT_SCALE else f"_{scale}"
    return Path(folder) / f"{name}{suffix}.png"
