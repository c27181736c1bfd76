"""The multi-run builds behind ``cinr-lab table`` and ``cinr-lab beyond``: train what is
missing of a grid of runs (set × seed × row, side by side: :mod:`cinr_lab.ops.jobs`), measure
each run once, keep one record per run as it comes (an interrupted build resumes), and write the
tables. The study reads those records (:mod:`cinr_lab.table`, :mod:`cinr_lab.beyond`); it never
trains a grid itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cinr_lab import analysis, atomic, checks, metrics, nsynth, rendering, runfolder, train
from cinr_lab.audio import write_wav
from cinr_lab.beyond import VARIANTS, examples_path, write
from cinr_lab.experiments import ARCHS, DEFAULT_SCALE, SCALES, Row, Scale, fit, paper_sets
from cinr_lab.ops import jobs as jobs_
from cinr_lab.table import BASELINES, scores
from cinr_lab.table import report as table_report


def run_grid(
    what: str,
    path: Path,
    column: str,
    scale: str,
    sets: tuple[str, ...],
    seeds: int,
    rows,
    task,
    jobs: int = 1,
) -> list[dict]:
    """The records of a multi-run build (``table``, ``beyond``): one per set, seed and row.

    ``path`` is a JSONL file of records keyed ``scale``, ``set``, ``column``, ``seed``; the cells
    it lacks are made by ``task(set, seed, row)`` (a picklable callable taking ``progress``),
    ``jobs`` at a time (:func:`cinr_lab.ops.jobs.run`), and appended to ``path`` as each one
    comes, so an interrupted build resumes where it stopped.

    Returns:
        ``scale``'s records for ``sets``, in grid order (set, seed, row), whatever order the
        runs finished in.
    """
    keys = ("scale", "set", column, "seed")
    cell = lambda r: tuple(r[k] for k in keys)  # noqa: E731
    done = checks.read_jsonl(path, keys=keys)
    finished = {cell(r) for r in done}
    # Seed by seed, each row on every set in turn: a build stopped half way has the first rows
    # of a seed on both sets (the table's first comparisons), not one set's whole seed.
    todo = [(st, seed, row) for seed in range(seeds) for row in rows for st in sets
            if (scale, st, row, seed) not in finished]  # fmt: skip

    def keep(_: int, record: dict) -> None:
        # Read the file again before adding to it: another build writing the same file (a
        # second `table` or `beyond` on other rows) may have added records since this one began.
        with _folder_locked(path.parent):
            now = checks.read_jsonl(path, keys=keys)
            done[:] = [*(r for r in now if cell(r) != cell(record)), record]
            atomic.write_text(path, "".join(json.dumps(r) + "\n" for r in done))

    labels = [f"{st} {row} seed {seed}" for st, seed, row in todo]
    jobs_.run(what, labels, [task(st, seed, row) for st, seed, row in todo], jobs, keep)
    rank = {row: i for i, row in enumerate(rows)}
    records = [r for r in done if r["scale"] == scale and r["set"] in sets]
    records.sort(key=lambda r: (sets.index(r["set"]), r["seed"], rank.get(r[column], len(rank))))
    return records


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``folder`` itself (no lock file), held for the block: builds
    writing records into the same folder take turns."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def chosen_rows(rows: tuple[str, ...] | None, every) -> tuple[str, ...]:
    """The rows a build trains: ``rows`` (checked against ``every``, in its own order), or
    ``every`` row for ``None``.

    Raises:
        checks.ConfigError: an unknown row, or an empty ``rows``.
    """
    every = tuple(every)
    unknown = [r for r in rows or () if r not in every]
    if unknown or rows == ():
        raise checks.ConfigError(
            "rows", f"unknown {unknown or 'none given'}; choose from {list(every)}"
        )
    return tuple(rows) if rows else every


# ------------------------------------------------------------------ Table 1


def table(
    scale: str | Scale = DEFAULT_SCALE,
    sets: tuple[str, ...] = nsynth.SETS,
    seeds: int = 3,
    out: str | Path = "results",
    runs: str | Path = "runs",
    data: str | None = None,
    jobs: int = 1,
    rows: tuple[str, ...] | None = None,
) -> Path:
    """Train, evaluate and write ``table1.csv`` and ``table1.md`` into ``out``.

    Args:
        scale: a name in :data:`SCALES` or a :class:`Scale`.
        sets: which paper sets to train; the tables cover every set ``out`` holds records of at
            this scale, so one set's build does not drop the other's columns.
        seeds: runs per architecture and set (seeds 0, 1, ...).
        out: where the tables go.
        runs: where the run folders go (``runs/<scale>/<set>/<arch>-seed<k>``).
        data: NSynth-layout folder (``None``: ``$CINR_NSYNTH`` or the embedded set).
        jobs: runs trained side by side, each on its share of the cores (:func:`cinr_lab.jobs.run`).
        rows: train only these rows (architectures or baselines), in this order; ``None``:
            every row. The tables still report every record ``out`` holds, so a long build can
            finish the rows a comparison needs first.

    Per-run results go to ``out/runs.jsonl`` as they finish, so an interrupted build resumes
    where it stopped (finished runs are neither trained nor evaluated again).

    Raises:
        checks.ConfigError: an unknown row.
    """
    checks.integer("seeds", seeds, minimum=1)
    checks.integer("jobs", jobs, minimum=1)
    rows = chosen_rows(rows, (*ARCHS, *BASELINES))
    sets = paper_sets(sets)
    name = scale if isinstance(scale, str) else "custom"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = lambda st, seed, arch: functools.partial(  # noqa: E731
        evaluate_cell, scale, st, arch, seed, runs, data
    )
    run_grid("table", out / "runs.jsonl", "arch", name, sets, seeds, rows, task, jobs)
    table_report(name, nsynth.SETS, out)  # every set out holds, not only those trained now
    return out


def evaluate_cell(
    scale: str | Scale,
    set_name: str,
    arch: str,
    seed: int,
    runs: str | Path = "runs",
    data: str | None = None,
    progress: bool = True,
) -> dict:
    """One record of ``runs.jsonl``: the row's run trained (or loaded), rendered and scored
    (means over notes), or the Silence / Noise baseline scored."""
    cfg = SCALES[scale] if isinstance(scale, str) else scale
    name = scale if isinstance(scale, str) else "custom"
    start = time.perf_counter()
    truth = nsynth.load(data, subset=set_name, items=cfg.items).audio
    run = None
    if arch == "Silence":
        estimate = metrics.silence(truth)
    elif arch == "Noise":
        estimate = metrics.noise(truth, seed)
    else:
        run = fit(scale, set_name, arch, seed, runs, data, progress)
        estimate = run.render().numpy()
    record = {"scale": name, "set": set_name, "arch": arch, "seed": seed}
    record |= scores(truth, estimate, cfg.cdpam_items)
    if run is not None and run.step > cfg.steps:  # trained longer: read at equal steps, compute
        model = run.train_config.model
        for key, step in (("equal_steps", cfg.steps), ("equal_compute", cfg.equal_compute(model))):
            if step < run.step and step in runfolder.snapshot_steps(run.path):
                early = rendering.load_run(run.path, "cpu", step).render().numpy()
                record[key] = {"step": step, **scores(truth, early, cfg.cdpam_items)}
    if run is not None and runfolder.snapshot_steps(run.path):
        record["training"] = analysis.along_training(run.path, truth)
    if run is not None:
        record["train_seconds"] = _train_seconds(run.path)
    record["seconds"] = round(time.perf_counter() - start, 1)
    return record


def _train_seconds(run_path: Path) -> float:
    """A record's ``train_seconds``: the run's training time over all its (re)starts, from its
    loss curve. (The record's ``seconds`` is this process's wall time: scoring, and training
    only where this process trained, from its last start.)"""
    return round(runfolder.training_seconds(runfolder.loss_curve(run_path)), 1)


# ------------------------------------------------------------------ beyond


def beyond(
    scale: str | Scale = DEFAULT_SCALE,
    sets: tuple[str, ...] = nsynth.SETS,
    seeds: int = 3,
    out: str | Path = "results",
    runs: str | Path = "runs",
    data: str | None = None,
    variants: dict[str, Row] | None = None,
    jobs: int = 1,
    rows: tuple[str, ...] | None = None,
) -> Path:
    """Train what is missing, measure every run, write ``out/beyond.{jsonl,csv,md}``.

    Args:
        scale: a name in :data:`cinr_lab.experiments.SCALES` or a scale.
        sets, seeds, runs, data: as :func:`table`.
        variants: the rows (default :data:`VARIANTS`).
        jobs: runs trained side by side, each on its share of the cores (:func:`cinr_lab.jobs.run`).
        rows: train only these variants, in this order (``None``: every variant); the tables
            cover every variant and set ``out`` holds records of (:func:`beyond_report`), as
            :func:`table`'s ``rows``.

    Raises:
        checks.ConfigError: an unknown row.

    Returns:
        The folder ``out``.
    """
    checks.integer("seeds", seeds, minimum=1)
    checks.integer("jobs", jobs, minimum=1)
    sets = paper_sets(sets)
    variants = VARIANTS if variants is None else variants
    rows = chosen_rows(rows, variants)
    name = scale if isinstance(scale, str) else "custom"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = lambda st, seed, v: functools.partial(  # noqa: E731
        train_and_measure, scale, st, v, seed, runs, data, variants
    )
    adopt(out / "beyond.jsonl", out / "runs.jsonl", name, variants)
    records = run_grid("beyond", out / "beyond.jsonl", "variant", name, sets, seeds, rows,
                       task, jobs)  # fmt: skip
    beyond_report(name, nsynth.SETS, out, variants)  # every set out holds, in variants' order
    for set_name in sets:  # listening examples from seed 0's runs that trained (rendered once)
        for variant in variants:
            if any(
                r["set"] == set_name and r["variant"] == variant and r["seed"] == 0
                and "diverged" not in r for r in records
            ):  # fmt: skip
                examples(scale, set_name, variant, out, runs, data, variants)
    return out


def beyond_report(
    scale: str = DEFAULT_SCALE,
    sets: tuple[str, ...] = nsynth.SETS,
    out: str | Path = "results",
    variants: dict[str, Row] | None = None,
) -> Path:
    """Write ``beyond.csv`` and ``beyond.md`` from the records ``out/beyond.jsonl`` holds at
    ``scale`` (after adopting Table 1's new records of the shared rows, :func:`adopt`),
    training nothing: a build in progress (another process) reports what it has. Rows come in
    ``variants``' order, whatever order the runs finished in."""
    sets = paper_sets(sets)
    variants = VARIANTS if variants is None else variants
    out = Path(out)
    adopt(out / "beyond.jsonl", out / "runs.jsonl", scale, variants)
    keys = ("scale", "set", "variant", "seed")
    records = [r for r in checks.read_jsonl(out / "beyond.jsonl", keys=keys)
               if r["scale"] == scale and r["set"] in sets]  # fmt: skip
    if not records:
        raise checks.ConfigError("scale", f"{out / 'beyond.jsonl'} holds no {scale!r} records")
    rank = {v: i for i, v in enumerate(variants)}
    records.sort(key=lambda r: (sets.index(r["set"]), r["seed"], rank.get(r["variant"], len(rank))))
    write(records, tuple(s for s in sets if any(r["set"] == s for r in records)), out)
    return out


def adopt(path: Path, table_path: Path, scale: str, variants: dict[str, Row]) -> int:
    """Copy into ``path`` (beyond's records) the Table 1 records (``table_path``) of the rows
    both share — same name, trained the same way, so the very same run folders — that
    ``path`` lacks: Table 1 and beyond then report one record per run, not two measurements of
    it. Only records measured along training (``"training"``: its last point holds this
    module's HF excess and density, measured as :func:`measure` does) can be adopted; the
    adopted record keeps that curve, as :func:`train_and_measure`'s records do, and the
    per-note values (``"per_note"``); a record adopted before records kept them gets them.

    Returns:
        How many records were adopted.
    """
    shared = [v for v, row in variants.items() if ARCHS.get(v) == row]
    mine = checks.read_jsonl(path, keys=("scale", "set", "variant", "seed"))
    have = {(r["scale"], r["set"], r["variant"], r["seed"]): r for r in mine}
    adopted, filled = [], 0
    for r in checks.read_jsonl(table_path, keys=("scale", "set", "arch", "seed")):
        key = (r["scale"], r["set"], r["arch"], r["seed"])
        earlier = have.get(key)
        if earlier is not None and earlier.get("from") == "table" and "per_note" not in earlier:
            if "per_note" in r:  # the same run's record: its per-note values, not a new measure
                earlier["per_note"], filled = r["per_note"], filled + 1
        if r["scale"] == scale and r["arch"] in shared and key not in have and "training" in r:
            last = r["training"][-1]
            adopted.append({
                "scale": scale, "set": r["set"], "variant": r["arch"], "seed": r["seed"],
                "model": variants[r["arch"]].model,
                **{m: r[m] for m in ("mse", "snr", "multi_stft", "cdpam") if m in r},
                "hf_excess": last["hf_excess"], "density": last["density"],
                "seconds": r["seconds"], "training": r["training"], "from": "table",
                **({"train_seconds": r["train_seconds"]} if "train_seconds" in r else {}),
                **({"per_note": r["per_note"]} if "per_note" in r else {}),
            })  # fmt: skip
    if adopted or filled:
        atomic.write_text(path, "".join(json.dumps(r) + "\n" for r in mine + adopted))
    return len(adopted)


def measure(truth: np.ndarray, run, cdpam_items: int | None) -> dict:
    """Every measure of one run against its notes' truth (means or medians over notes), and
    (``"per_note"``) each note's metric values, as Table 1's records keep them
    (:func:`cinr_lab.table.scores`), for verdicts paired by note."""
    recon = run.render().numpy()
    values = metrics.evaluate(truth, recon, progress=False, cdpam_items=cdpam_items)
    record = {k: float(v.mean()) for k, v in values.items()}
    record["per_note"] = {k: [float(x) for x in v] for k, v in values.items()}
    record["hf_excess"] = float(np.median(analysis.hf_excess(truth, recon)))
    points = analysis.stationary_points(run.model, run.latents[0])
    record["density"] = [float(x) for x in points.lower_bound.mean(1)]
    return record


def train_and_measure(
    scale: str | Scale,
    set_name: str,
    variant: str,
    seed: int,
    runs: str | Path = "runs",
    data: str | None = None,
    variants: dict[str, Row] | None = None,
    progress: bool = True,
) -> dict:
    """One record of ``beyond.jsonl``: the run trained (or loaded) and :func:`measure`-d, or
    ``"diverged"`` with the step and loss where training diverged (a result too, not retried)."""
    variants = VARIANTS if variants is None else variants
    cfg = SCALES[scale] if isinstance(scale, str) else scale
    name = scale if isinstance(scale, str) else "custom"
    start = time.perf_counter()
    record = {"scale": name, "set": set_name, "variant": variant, "seed": seed,
              "model": variants[variant].model}  # fmt: skip
    try:
        run = fit(scale, set_name, variant, seed, runs, data, progress=progress, rows=variants)
    except train.TrainingDiverged as err:
        record["diverged"] = str(err).split("; ")[0]
    else:
        truth = nsynth.load(data, subset=set_name, items=cfg.items).audio
        record |= measure(truth, run, cfg.cdpam_items)
        if runfolder.snapshot_steps(run.path):  # the fit scale: its hiss along training
            record["training"] = analysis.along_training(run.path, truth)
        record["train_seconds"] = _train_seconds(run.path)
    record["seconds"] = round(time.perf_counter() - start, 1)
    return record


EXAMPLES = 3
"""Notes per set written as listening examples (evenly spaced over the set's notes)."""


def examples(
    scale, set_name: str, variant: str, out, runs, data=None, variants: dict[str, Row] | None = None
) -> Path:
    """Write the :data:`EXAMPLES` listening examples of one variant (and the truth) if missing."""
    folder = examples_path(out, set_name, variant)
    cfg = SCALES[scale] if isinstance(scale, str) else scale
    wanted = min(EXAMPLES, cfg.items or EXAMPLES)
    if folder.is_dir() and len(list(folder.glob("*.wav"))) == wanted:
        return folder
    run = fit(scale, set_name, variant, 0, runs, data, progress=False, rows=variants)
    items = sorted({int(i) for i in np.linspace(0, len(run.notes) - 1, wanted).round()})
    waves = run.render(items).numpy()
    truth_folder = examples_path(out, set_name, "truth")
    for folder_, clips in ((folder, waves), (truth_folder, run.truth(items))):
        folder_.mkdir(parents=True, exist_ok=True)
        for i, wave in zip(items, clips, strict=True):
            target = folder_ / f"{run.notes[i]}.wav"
            if folder_ is truth_folder and target.exists():
                continue  # written with the first variant (rewriting would only churn its header)
            write_wav(target, wave, subtype="FLOAT")
    return folder
