"""Shipping runs: a finished run exported as a model folder (:func:`export`, ``cinr-lab
export-model``), and the study's seed-0 runs shipped in the checkout's ``weights/runs/``, copied
into ``runs/`` instead of trained (:func:`restore`, ``make runs``) or retrained and checked
against their shipped copy (:func:`reproduces`, ``cinr-lab runs --retrain``).

A shipped model is a run folder stripped to what rendering needs: ``config.json`` (both configs
and the note list), ``checkpoint.pt`` (weights and latents, no optimiser state) and ``loss.csv``;
:func:`cinr_lab.pretrained.load` reads one.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import torch

from cinr_lab import atomic, nsynth, rendering, runfolder
from cinr_lab.pretrained import as_float16

STUDY = "runs"
"""Subfolder of the checkout's ``weights/`` holding the study's seed-0 runs, exported
(``weights/runs/<scale>/...`` mirrors ``runs/<scale>/...``), so ``make runs`` copies them instead of
training for an hour."""


def study_runs_dir() -> Path:
    """``$CINR_STUDY_RUNS``, else ``weights/runs/`` of the source checkout the package lies in."""
    env = os.environ.get("CINR_STUDY_RUNS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "weights" / STUDY


FLOAT16_TOLERANCE = 1e-3
"""Largest sample difference (full scale ±1) :func:`export` accepts between a model stored with
float16 matrices and the float32 one, over the notes it checks (:data:`FLOAT16_CHECK_NOTES`)."""

FLOAT16_CHECK_NOTES = 16
"""How many notes (spread over the run's list) :func:`export` renders both ways to check it."""


KEEP = ("format", "run", "step", "model_config", "model", "latents")
"""Checkpoint entries an exported model keeps (the optimiser and RNG states are dropped)."""


def _check_float16(run: rendering.Run, state: dict, path: Path) -> None:
    """Refuse a float16 export that does not render what the run renders."""
    items = sorted({int(i) for i in torch.linspace(0, len(run.notes) - 1, FLOAT16_CHECK_NOTES)})
    reference = run.render(items)
    run.model.load_state_dict(state["model"])
    low = rendering.render(run.model, state["latents"][items].float())
    worst = float((low - reference).abs().max())
    if not worst <= FLOAT16_TOLERANCE:
        raise runfolder.RunError(
            f"{path}: with float16 matrices the model renders up to {worst:.2g} away from its "
            f"float32 self (more than {FLOAT16_TOLERANCE:g}); export it without --float16"
        )


def export(
    run: str | os.PathLike,
    out: str | os.PathLike,
    overwrite: bool = False,
    float16: bool = False,
) -> Path:
    """Write the finished run folder ``run`` as a shipped model folder ``out``.

    The model is written into a temporary folder beside ``out`` and moved into place whole, so
    ``out`` is either the old model or the complete new one.

    Args:
        run: a finished run folder (or an exported model folder).
        out: the model folder to write.
        overwrite: replace an exported model already in ``out``.
        float16: store the matrices (:func:`halved`) as float16, half the size; loading turns
            them back into float32. Checked first: up to :data:`FLOAT16_CHECK_NOTES` notes
            rendered both ways must agree within :data:`FLOAT16_TOLERANCE`.

    Raises:
        runfolder.RunError: ``run`` is not a finished, readable run (finite weights, ``loss.csv``);
            ``out`` is ``run`` itself or lies inside it; ``out`` exists and ``overwrite`` is
            off; ``out`` holds something other than an exported model; or float16 storage
            changes the sound.
    """
    run, out = Path(run), Path(out)
    loaded = rendering.load_run(run)  # validates config, checkpoint, finite weights, run identity
    if loaded.step < loaded.train_config.steps:
        raise runfolder.RunError(
            f"{run}: unfinished (step {loaded.step} of {loaded.train_config.steps}); finish it "
            f"with `cinr-lab train --resume --out {run}` before exporting it"
        )
    if not (run / "loss.csv").is_file():
        raise runfolder.RunError(
            f"{run / 'loss.csv'}: missing; a finished run folder has its loss curve"
        )
    if out.resolve() == run.resolve() or run.resolve() in out.resolve().parents:
        raise runfolder.RunError(
            f"{out}: is the run folder {run} itself or inside it; choose another --out"
        )
    if out.exists():
        if not overwrite:
            raise runfolder.RunError(
                f"{out}: exists; pass overwrite=True (--overwrite) to replace it"
            )
        _check_replaceable(out)
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    state = {k: state[k] for k in KEEP if k in state}
    if float16:
        state = as_float16(state)
        _check_float16(loaded, state, run)  # the run loaded above; its model is not used after
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with atomic.atomic_folder(out) as stage:
        (stage / "checkpoint.pt").write_bytes(buffer.getvalue())
        for name in ("loss.csv", "config.json"):
            shutil.copyfile(run / name, stage / name)
    return out


MODEL_FILES = ("config.json", "checkpoint.pt", "loss.csv")
"""What an exported model folder holds."""


def _check_replaceable(out: Path) -> None:
    """``--overwrite`` replaces an (empty or) exported model folder, nothing else."""
    if not out.is_dir():
        raise runfolder.RunError(f"{out}: exists and is not a folder; not replacing it")
    names = sorted(p.name for p in out.iterdir())
    if not names:
        return
    checkpoint = out / "checkpoint.pt"
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "optimizer" in state:
            raise runfolder.RunError(
                f"{out}: holds a training run (with its optimiser state), not an exported "
                "model; not replacing it"
            )
    other = [n for n in names if n not in MODEL_FILES]
    if other or "config.json" not in names:
        what = f"it holds {other[0]}" if other else "it has no config.json"
        raise runfolder.RunError(f"{out}: is not an exported model ({what}); not replacing it")


def study_copy(path: str | os.PathLike, runs: str | os.PathLike) -> Path:
    """Where the shipped copy of the run folder ``path`` (inside ``runs``) lives."""
    return study_runs_dir() / Path(path).resolve().relative_to(Path(runs).resolve())


def restore(
    path: str | os.PathLike, runs: str | os.PathLike, data: str | os.PathLike | None = None
) -> bool:
    """Copy the shipped copy of the run ``path`` into place when ``path`` holds no run yet.

    Args:
        path: the run folder wanted.
        runs: the folder of run folders ``path`` lies in (``runs/``).
        data: the data the run is wanted on (``None``: ``$CINR_NSYNTH``, else the embedded set);
            a shipped run trained on other data is not copied.

    Returns:
        True when a copy was made; False when ``path`` already holds a run, or nothing is shipped
        for it, or what is shipped was trained on other data (then
        :func:`cinr_lab.train.fit_or_load` trains it).
    """
    path = Path(path)
    source = study_copy(path, runs)
    if (path / "config.json").exists() or not (source / "config.json").exists():
        return False
    shipped = rendering.load_run(source)  # a damaged shipped copy is an error, not a silent retrain
    if shipped.data is None or not nsynth.same_data(
        shipped.data, nsynth.identity(nsynth.resolve_root(data))
    ):
        return False
    staging = path.with_name(path.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    if path.exists():  # an empty or config-less leftover; nothing of a run to lose
        if any(path.iterdir()):
            raise runfolder.RunError(f"{path}: exists without config.json; move it away first")
        path.rmdir()
    staging.rename(path)
    return True


REPRODUCE_DB = 1.7
"""How far (mean per-note SNR, dB) a retrained study run may land from its shipped copy and still
count as reproducing it. Set from the determinism audit (``results/determinism.md``,
``tools/determinism_audit.py``): on one machine, thread count and kernel set a rerun is exact
(one thread against two, AVX2 against AVX-512 kernels: 0.10 and 0.21 dB), and runs of the same
configuration and seed trained in different sessions (other machines, CPU kernels, cinr_lab
versions) land up to 1.63 dB apart after 200 steps of the paper's PCINR, which amplifies
rounding; float16 storage moves a run by under 0.001 dB."""


def reproduces(run: rendering.Run, shipped: rendering.Run) -> tuple[bool, float, float]:
    """Whether the retrained ``run`` scores its shipped copy's mean per-note SNR on its own notes
    within :data:`REPRODUCE_DB`; returns ``(verdict, run's SNR, shipped copy's SNR)``.

    Raises:
        runfolder.RunError: the two are not the same run (other notes or configs).
    """
    from cinr_lab import metrics

    if run.notes != shipped.notes or run.train_config != shipped.train_config:
        raise runfolder.RunError(
            f"{run.path}: not the run shipped in {shipped.path} (other notes or training config)"
        )
    truth = run.truth()
    mine = float(metrics.snr(truth, run.render().numpy()).mean())
    theirs = float(metrics.snr(truth, shipped.render().numpy()).mean())
    return abs(mine - theirs) <= REPRODUCE_DB, mine, theirs
