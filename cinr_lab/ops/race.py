"""Training recipes raced on the wall clock: the sweep that chose ``recipe="ours"``, and the bench
that holds it to its targets.

A *race* trains one run per entry, each for the same number of seconds of training steps on the
same notes, and measures every note's reconstruction along the way (mean per-note SNR in dB and
the paper's summed MSE over whole clips). Finished entries are appended to a JSON-lines file, so
an interrupted race resumes with the entries still missing.

* ``cinr-lab recipes sweep``: :data:`SWEEP`, the candidates ``"ours"`` was picked from, a few
  minutes each → ``results/recipe_sweep.{jsonl,md}``.
* ``cinr-lab recipes race``: ``"paper"`` against ``"ours"`` for 20 minutes each on 64 keyboard
  notes → ``results/recipe_race.{jsonl,md}``. Targets (issue 10): the paper recipe leaves the
  silence plateau; ours reaches a mean per-note SNR of 20 dB; ours' MSE at equal wall time is at
  most half the paper's.
* ``cinr-lab recipes stability``: ``"ours"`` for 5,000 steps on the same 64 notes, checking that it
  never falls back to the silence plateau once it has left it (issue 10's target for ``"ours"``)
  → ``results/recipe_stability.{jsonl,md}``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from pathlib import Path

import numpy as np

from cinr_lab import atomic, checks, metrics, recipes, rendering, runfolder, train
from cinr_lab.claims import PLATEAU
from cinr_lab.ops import bench

SWEEP: dict[str, dict] = {
    "paper": {"recipe": "paper"},
    "paper, lr 3e-5": {"recipe": "paper", "lr": 3e-5},
    "paper, lr 1e-4": {"recipe": "paper", "lr": 1e-4},
    "paper, lr 3e-5, 1000 coords": {"recipe": "paper", "lr": 3e-5, "coords": 1000},
    "paper, lr 3e-5, Adam": {"recipe": "paper", "lr": 3e-5, "optimizer": "adam"},
    "paper, lr 3e-5, no derivative term": {"recipe": "paper", "lr": 3e-5, "deriv_weight": 0.0},
    "paper, lr 3e-5, latent step 1.0": {"recipe": "paper", "lr": 3e-5, "latent_lr": 1.0},
    "paper, lr 3e-5, notes weighted by loudness": {
        "recipe": "paper", "lr": 3e-5, "note_weights": "energy",
    },
    "v0 at lr 1e-4, MSE only, 2000 coords": {
        "recipe": "v0", "lr": 1e-4, "latent_lr": 1e-3, "stft_weight": 0.0, "coords": 2000,
    },
}  # fmt: skip
"""Candidates for ``recipe="ours"``: a base recipe and the fields changed from it."""


RACE: dict[str, dict] = {"paper": {"recipe": "paper"}, "ours": {"recipe": "ours"}}
"""Issue 10's bench: the paper's recipe against ours, on the same model, notes and batch."""


FIT_LRS: dict[str, tuple[float, ...]] = {"tcnn": (1e-4, 3e-4, 1e-3), "pcinr": (1e-5, 3e-5, 1e-4)}
"""The decoder learning rates the ``fit`` scale's rate was chosen from (``cinr-lab recipes fit``):
the paper's own (1e-4 for the TCNN, 1e-5 for the PCINR) and 3× and 10× it, on the paper's recipe."""


def fit_sweep(
    model: str, set_name: str, out: str | Path, seconds: float = 150.0, items: int = 16,
    runs: str | Path = "runs/recipes", data: str | None = None,
) -> Path:  # fmt: skip
    """Race :data:`FIT_LRS` ``[model]`` on ``items`` notes of ``set_name`` (all notes every step),
    ``seconds`` of training each → ``out/fit_sweep_<model>_<set>.{jsonl,md}``."""
    entries = {f"paper, lr {lr:g}": {"recipe": "paper", "lr": lr} for lr in FIT_LRS[model]}
    name = f"fit_sweep_{model}_{set_name}"
    return race(entries, seconds, out, name, runs, model, set_name, items, items,
                every=seconds / 5, data=data)  # fmt: skip


def entry_config(entry: dict, **data) -> recipes.TrainConfig:
    """The training config of one race entry: its recipe, the race's fields, then its own."""
    fields = {k: v for k, v in entry.items() if k != "recipe"}
    return recipes.recipe(entry["recipe"], **{**data, **fields})


def race(
    entries: dict[str, dict],
    seconds: float,
    out: str | Path,
    name: str,
    runs: str | Path = "runs/recipes",
    model: str = "pcinr",
    set_name: str = "keyboard",
    items: int = 64,
    batch: int = 16,
    every: float = 60.0,
    seed: int = 0,
    data: str | None = None,
) -> Path:
    """Train each entry for ``seconds`` of training steps; write ``out/<name>.{jsonl,md}``.

    Args:
        entries: ``{label: {"recipe": base, field: value, ...}}``.
        seconds: training time per entry (evaluations are not counted).
        out: folder of the results.
        name: file stem of the results (``recipe_sweep``, ``recipe_race``).
        runs: where the run folders go (``runs/<name>/<label>``; an unfinished one is restarted).
        model, set_name, items, batch, seed, data: the runs' shared data and model.
        every: seconds of training between evaluations of every note.

    Returns:
        The Markdown report's path.
    """
    checks.number("seconds", seconds, strict=True)
    checks.number("every", every, strict=True)
    out, runs = Path(out), Path(runs) / name
    out.mkdir(parents=True, exist_ok=True)
    done_path = out / f"{name}.jsonl"
    done = checks.read_jsonl(done_path, keys=("label", "curve"))
    finished = {r["label"] for r in done}
    common = dict(model=model, set=set_name, items=items, batch=batch, seed=seed, data=data)
    for label, entry in entries.items():
        if label in finished:
            continue
        config = entry_config(entry, steps=10**9, checkpoint_every=10**9, **common)
        path = runs / label.replace(" ", "_").replace(",", "")
        runfolder.discard(path)  # a race is timed from its start: no resume mid-entry
        trainer = train.Trainer.create(path, config)
        truth = trainer.audio.cpu().numpy()
        curve: list[dict] = []

        start = time.perf_counter()
        measure = functools.partial(_measure, truth=truth, curve=curve)
        clock = Clock(budget=seconds, every=every, on_time=measure)
        trainer.fit(progress=False, after_step=clock)
        clock.finish(trainer)
        record = {
            "label": label, "entry": entry, "config": dataclasses.asdict(config),
            "curve": curve, "final": curve[-1],
            "silence_mse": float(metrics.mse(truth, np.zeros_like(truth)).mean()),
            "wall_s": round(time.perf_counter() - start, 1), "machine": bench.machine(),
        }  # fmt: skip
        done.append(record)
        atomic.write_text(done_path, "".join(json.dumps(r) + "\n" for r in done))
    report = out / f"{name}.md"
    atomic.write_text(report, markdown(done, seconds, common))
    return report


class Clock:
    """A race's hook into :meth:`cinr_lab.train.Trainer.fit` (its ``after_step``): stop once
    ``budget`` seconds were spent in training steps, and call ``on_time(trainer)`` every
    ``every`` seconds of them (the time it takes is not counted: ``trainer.seconds`` counts steps
    only). :meth:`finish` makes the last call at the end, unless one was made at that step."""

    def __init__(self, budget: float | None = None, every: float | None = None, on_time=None):
        self.budget, self.every, self.on_time = budget, every, on_time
        self.next_call, self.called_at = every, None

    def __call__(self, trainer: train.Trainer) -> bool:
        if self.on_time is not None and trainer.seconds >= self.next_call:
            self.on_time(trainer)
            self.called_at = trainer.step
            while self.next_call <= trainer.seconds:  # one call however many periods passed
                self.next_call += self.every
        return self.budget is not None and trainer.seconds >= self.budget

    def finish(self, trainer: train.Trainer) -> None:
        if self.on_time is not None and self.called_at != trainer.step:
            self.on_time(trainer)


def _measure(trainer: train.Trainer, truth: np.ndarray, curve: list[dict]) -> None:
    """Append every note's mean SNR and MSE at this point of training to ``curve``."""
    wave = rendering.render(trainer.model, trainer.latents.detach()).numpy()
    curve.append({
        "seconds": round(trainer.seconds, 1), "step": trainer.step,
        "snr_db": float(metrics.snr(truth, wave).mean()),
        "mse": float(metrics.mse(truth, wave).mean()),
    })  # fmt: skip


def markdown(records: list[dict], seconds: float, common: dict) -> str:
    """The race as a Markdown report: final numbers, then each entry's curve."""
    m = records[0]["machine"] if records else bench.machine()
    lines = [
        f"Model `{common['model']}`, {common['items']} {common['set']} notes, batch "
        f"{common['batch']}, seed {common['seed']}, {seconds:.0f} s of training each.  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}.",
        "",
        "| entry | fields | steps | mean SNR (dB) | MSE | silence MSE |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in sorted(records, key=lambda r: -r["final"]["snr_db"]):
        fields = ", ".join(f"{k}={v}" for k, v in r["entry"].items())
        f = r["final"]
        lines.append(
            f"| {r['label']} | {fields} | {f['step']} | {f['snr_db']:.2f} | {f['mse']:.4g} "
            f"| {r['silence_mse']:.4g} |"
        )
    lines += ["", "Mean per-note SNR (dB) against training seconds:", ""]
    for r in records:
        curve = [
            p for i, p in enumerate(r["curve"]) if i == 0 or p["step"] != r["curve"][i - 1]["step"]
        ]
        points = ", ".join(f"{p['seconds']:.0f} s: {p['snr_db']:.1f}" for p in curve)
        lines.append(f"- {r['label']}: {points}")
    return "\n".join(lines) + "\n"


ROLLING_STEPS = 100
"""Steps in the rolling mean of the per-step MSE estimate that :func:`stability` also checks."""


def stability(
    out: str | Path,
    steps: int = 5000,
    every: float = 300.0,
    recipe_name: str = "ours",
    runs: str | Path = "runs/recipes",
    model: str = "pcinr",
    set_name: str = "keyboard",
    items: int = 64,
    batch: int = 16,
    seed: int = 0,
    data: str | None = None,
    progress: bool = True,
) -> Path:
    """Train ``recipe_name`` for ``steps`` steps; check it never returns to the silence plateau.

    Every note is measured every ``every`` seconds of training (kept in the run folder's
    ``curve.jsonl``, so an interrupted check resumes from its last checkpoint with its curve), and
    the per-step MSE estimate of ``loss.csv`` is checked as a :data:`ROLLING_STEPS`-step rolling
    mean between measurements. The verdict: the step where the run first left the plateau
    (measured MSE below :data:`PLATEAU` × silence's), and the worst rolling mean after it.

    Returns:
        The Markdown report's path, ``out/recipe_stability.md`` (the record is in ``.jsonl``).
    """
    checks.number("every", every, strict=True)
    common = dict(model=model, set=set_name, items=items, batch=batch, seed=seed, data=data)
    config = recipes.recipe(recipe_name, steps=steps, checkpoint_every=250, **common)  # checks
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = Path(runs) / "recipe_stability" / recipe_name
    curve_path = path / "curve.jsonl"
    if (path / "checkpoint.pt").exists():
        trainer = train.Trainer.resume(path)
        if trainer.config != config:
            raise runfolder.RunError(f"{path}: holds a run with other settings; delete it")
        # Measurements taken after the checkpoint are repeated by the resumed run.
        curve = [json.loads(x) for x in curve_path.read_text().splitlines()]
        curve = [p for p in curve if p["step"] <= trainer.step]
    else:
        trainer = train.Trainer.create(path, config)
        curve = []
    truth = trainer.audio.cpu().numpy()
    silence = float(metrics.mse(truth, np.zeros_like(truth)).mean())

    def measure(t: train.Trainer) -> None:
        _measure(t, truth, curve)
        atomic.write_text(curve_path, "".join(json.dumps(p) + "\n" for p in curve))

    if not curve:
        measure(trainer)  # the starting point
    if trainer.step < steps:
        clock = Clock(every=every, on_time=measure)
        trainer.fit(progress=progress, after_step=clock)
        clock.finish(trainer)
    logged = np.loadtxt(path / "loss.csv", delimiter=",", skiprows=1, usecols=2, ndmin=1)
    record = {
        "recipe": recipe_name, "config": dataclasses.asdict(config), "curve": curve,
        "silence_mse": silence, "machine": bench.machine(),
        **verdict(curve, logged, silence),
    }  # fmt: skip
    atomic.write_text(out / "recipe_stability.jsonl", json.dumps(record) + "\n")
    report = out / "recipe_stability.md"
    atomic.write_text(report, stability_markdown(record))
    return report


def verdict(curve: list[dict], logged: np.ndarray, silence: float) -> dict:
    """Where a run left the silence plateau, and whether it ever came back.

    Args:
        curve: measurements of every note (``step``, ``mse``, ``snr_db``), in step order.
        logged: the per-step whole-clip MSE estimate (``loss.csv``), step 1 first.
        silence: the summed MSE of predicting silence for every note.
    """
    threshold = PLATEAU * silence
    left = next((p["step"] for p in curve if p["mse"] < threshold), None)
    result = {"plateau_mse": threshold, "left_plateau_step": left, "relapsed": None}
    if left is None:
        return result
    after = [p for p in curve if p["step"] >= left]
    worst_point = max(after, key=lambda p: p["mse"])
    window = min(ROLLING_STEPS, len(logged))
    rolling = np.convolve(logged, np.ones(window) / window, mode="valid")  # ends at step i+window
    rolling_after = rolling[max(left - window, 0) :]
    worst_rolling = float(rolling_after.max()) if rolling_after.size else float("nan")
    result.update(
        worst_measured_mse=worst_point["mse"], worst_measured_step=worst_point["step"],
        worst_rolling_mse=worst_rolling,
        relapsed=bool(worst_point["mse"] >= threshold or worst_rolling >= threshold),
    )  # fmt: skip
    return result


def stability_markdown(r: dict) -> str:
    """The stability check as a Markdown report."""
    c, m = r["config"], r["machine"]
    final = r["curve"][-1]
    lines = [
        f"Recipe `{r['recipe']}`, model `{c['model']}`, {c['items']} {c['set']} notes, batch "
        f"{c['batch']}, seed {c['seed']}, {c['steps']} steps.  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}.",
        "",
        f"Silence MSE {r['silence_mse']:.4g}; the plateau is MSE ≥ {PLATEAU} × silence "
        f"= {r['plateau_mse']:.4g}.",
        "",
    ]
    if r["left_plateau_step"] is None:
        lines.append("**Never left the silence plateau.**")
    else:
        lines += [
            f"- Left the plateau by step {r['left_plateau_step']} (first measurement below it).",
            f"- Worst measured MSE after that: {r['worst_measured_mse']:.4g} at step "
            f"{r['worst_measured_step']}; worst {ROLLING_STEPS}-step rolling mean of the per-step "
            f"estimate: {r['worst_rolling_mse']:.4g}.",
            f"- **{'Fell back to' if r['relapsed'] else 'Never fell back to'} the plateau.**",
        ]
    lines += [
        f"- Final (step {final['step']}): MSE {final['mse']:.4g}, mean per-note SNR "
        f"{final['snr_db']:.2f} dB.",
        "",
        "| step | training s (since the run last started or resumed) | MSE | mean SNR (dB) |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {p['step']} | {p['seconds']:.0f} | {p['mse']:.4g} | {p['snr_db']:.2f} |"
        for p in r["curve"]
    ]
    return "\n".join(lines) + "\n"
