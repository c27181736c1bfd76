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
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import time
from pathlib import Path

import numpy as np

from cinr_lab import atomic, bench, metrics, train

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


def entry_config(entry: dict, **data) -> train.TrainConfig:
    """The training config of one race entry: its recipe, the race's fields, then its own."""
    fields = {k: v for k, v in entry.items() if k != "recipe"}
    return train.recipe(entry["recipe"], **{**data, **fields})


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
    out, runs = Path(out), Path(runs) / name
    out.mkdir(parents=True, exist_ok=True)
    done_path = out / f"{name}.jsonl"
    done = (
        [json.loads(line) for line in done_path.read_text().splitlines()]
        if done_path.exists()
        else []
    )
    finished = {r["label"] for r in done}
    common = dict(model=model, set=set_name, items=items, batch=batch, seed=seed, data=data)
    for label, entry in entries.items():
        if label in finished:
            continue
        config = entry_config(entry, steps=10**9, checkpoint_every=10**9, **common)
        path = runs / label.replace(" ", "_").replace(",", "")
        if path.exists():
            shutil.rmtree(path)  # a race is timed from its start: no resume mid-entry
        trainer = train.Trainer.create(path, config)
        truth = trainer.audio.cpu().numpy()
        curve: list[dict] = []

        start = time.perf_counter()
        measure = functools.partial(_measure, truth=truth, curve=curve)
        trainer.fit(progress=False, budget=seconds, every=every, on_time=measure)
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


def _measure(trainer: train.Trainer, truth: np.ndarray, curve: list[dict]) -> None:
    """Append every note's mean SNR and MSE at this point of training to ``curve``."""
    wave = train.render(trainer.model, trainer.latents.detach()).numpy()
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
