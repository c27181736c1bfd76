"""The paper's Table 1: four architectures × two sets × three seeds, three metrics, two baselines.

:func:`cinr_lab.ops.builds.table` (``cinr-lab table``) trains what is missing (runs are shared and
resumable through :func:`cinr_lab.train.fit_or_load`), renders every note, scores it
(:func:`scores`: MSE, multi-STFT, CDPAM, SNR) into one record per run, and :func:`write_tables`
writes ``table1.csv`` (one row per architecture, set and metric: mean and std over seeds) and
``table1.md`` (the paper's layout, its published numbers beside ours, and which of its findings
this run reproduces).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from cinr_lab import atomic, checks, claims, metrics, nsynth
from cinr_lab.experiments import ARCHS, DEFAULT_SCALE, SCALES, fit, paper_sets

__all__ = ["ARCHS", "DEFAULT_SCALE", "SCALES", "findings", "fit", "report"]


BASELINES = ("Silence", "Noise")
METRICS = ("cdpam", "multi_stft", "mse")
EXTRA_METRICS = ("snr",)
"""Ours, beside the paper's: per-note SNR in dB (higher is better; the paper has no such column)."""
METRIC_NAMES = {"cdpam": "CDPAM", "multi_stft": "Multi-STFT MSE", "mse": "MSE", "snr": "SNR dB"}

PAPER_COLUMNS = tuple(f"{m} {s}" for m in METRICS for s in nsynth.SETS)
_PAPER_ROWS = {  # the paper's Table 1, (mean, std), in PAPER_COLUMNS order; its noise MSE is "~1e3"
    "TCNN": ((0.43, 0.21), (0.43, 0.27), (0.06, 0.05), (0.06, 0.04), (4.05, 0.42), (8.67, 0.83)),
    "PCINR": ((0.35, 0.24), (0.48, 0.18), (0.06, 0.02), (0.14, 0.04), (1.32, 0.3), (4.48, 1.02)),
    "PCINR Wide": (
        (0.56, 0.28),
        (0.36, 0.2),
        (0.11, 0.05),
        (0.08, 0.02),
        (6.55, 0.16),
        (1.64, 0.03),
    ),
    "PCINR WR": ((1.11, 0.05), (0.71, 0.05), (0.07, 0.0), (0.04, 0.0), (4.53, 0.22), (0.85, 0.1)),
    "Silence": ((1.65, 0.0), (1.77, 0.0), (0.16, 0.0), (0.16, 0.0), (46.19, 0.0), (78.74, 0.0)),
    "Noise": ((1.06, 0.27), (1.06, 0.32), (2.27, 0.06), (2.32, 0.04), (1e3, 0.0), (1e3, 0.0)),
}
PAPER: dict[str, dict[str, tuple[float, float]]] = {
    arch: dict(zip(PAPER_COLUMNS, cells, strict=True)) for arch, cells in _PAPER_ROWS.items()
}
"""The paper's numbers: ``{arch: {"metric set": (mean, std)}}``."""


def report(
    scale: str = DEFAULT_SCALE, sets: tuple[str, ...] = nsynth.SETS, out: str | Path = "results"
) -> Path:
    """Write ``table1.csv`` and ``table1.md`` from the records ``out/runs.jsonl`` holds at
    ``scale``, training nothing: a build in progress (another process) reports what it has."""
    sets = paper_sets(sets)
    out = Path(out)
    records = checks.read_jsonl(out / "runs.jsonl", keys=("scale", "set", "arch", "seed"))
    records = [r for r in records if r["scale"] == scale and r["set"] in sets]
    if not records:
        raise checks.ConfigError("scale", f"{out / 'runs.jsonl'} holds no {scale!r} records")
    write_tables(records, tuple(s for s in sets if any(r["set"] == s for r in records)), out)
    return out


def scores(truth: np.ndarray, estimate: np.ndarray, cdpam_items: int | None) -> dict:
    """Every metric's mean over notes, and (``"per_note"``) each note's value, for verdicts
    paired by note (:func:`cinr_lab.claims.paired_ci`)."""
    values = metrics.evaluate(truth, estimate, progress=False, cdpam_items=cdpam_items)
    out: dict = {k: float(v.mean()) for k, v in values.items()}
    out["per_note"] = {k: [float(f"{x:.6g}") for x in v] for k, v in values.items()}
    return out


VIEWS = {"as trained": None, "at equal compute": "equal_compute", "at equal steps": "equal_steps"}
"""How Table 1 can be read: each run as trained, or a run trained longer than the PCINRs read
at its snapshot of a PCINR's compute or steps (the records' keys)."""


def at(records: list[dict], key: str | None) -> list[dict]:
    """``records`` with each run that holds a ``key`` point (``"equal_steps"``,
    ``"equal_compute"``) read there instead; ``None``: as they are."""
    return [{**r, **r[key]} if key and key in r else r for r in records]


def aggregate(records: list[dict], sets) -> dict[str, dict[str, tuple[float, float]]]:
    """``{arch: {"metric set": (mean, std over seeds)}}``."""
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for arch in (*ARCHS, *BASELINES):
        for set_name in sets:
            for m in METRICS + EXTRA_METRICS:
                values = [
                    r[m] for r in records if r["arch"] == arch and r["set"] == set_name and m in r
                ]
                if values:
                    table.setdefault(arch, {})[f"{m} {set_name}"] = (
                        float(np.mean(values)),
                        float(np.std(values)),
                    )
    return table


def relative_to_silence(table) -> dict[str, dict[str, float]]:
    """Each row's mean divided by the silence row's mean, per column of the paper's metrics.

    The paper's absolute multi-STFT numbers cannot be matched (see notebook 03), and our sets are
    not its recordings; ratios to silence compare the two tables on one footing.

    Returns:
        ``{arch: {"metric set": ratio}}`` for every row but silence.
    """
    silence = table.get("Silence", {})
    return {
        arch: {c: v[0] / silence[c][0] for c, v in cells.items() if silence.get(c, (0,))[0]}
        for arch, cells in table.items()
        if arch != "Silence"
    }


def runs_of(records: list[dict], set_name: str, arch: str) -> claims.Runs | None:
    """A row's runs on one set as :func:`cinr_lab.claims.better` compares them (None: no run).

    Per-note values are kept for the metrics every seed's record holds them for (records
    written before cinr_lab kept per-note values have none, and their verdicts are n/a)."""
    rows = sorted(
        (r for r in records if r["set"] == set_name and r["arch"] == arch), key=lambda r: r["seed"]
    )
    silence = [r["mse"] for r in records if r["set"] == set_name and r["arch"] == "Silence"]
    if not rows or not silence:
        return None
    values = {
        m: np.array([r["per_note"][m] for r in rows])
        for m in METRICS + EXTRA_METRICS
        if all(m in r.get("per_note", {}) for r in rows)
    }
    return claims.Runs(arch, values, [r["mse"] for r in rows], silence[0])


def findings(records: list[dict]) -> list[claims.Claim]:
    """The paper's findings, each judged in ``records`` (one scale's, any sets and seeds).

    A comparison holds when the paired per-note bootstrap interval of the difference lies on its
    side (:func:`cinr_lab.claims.better`), and is n/a when a run of it is on the silence plateau;
    "on both sets" needs both. A claim whose rows or sets were not run is "not measured".
    """
    out = []

    def judge(text, pairs, combine, metric, higher=False):
        pairs = [(runs_of(records, s, a), runs_of(records, s, b), s) for s, a, b in pairs]
        if not pairs or any(a is None or b is None for a, b, _ in pairs):
            out.append(claims.Claim(text, None, "not measured"))
            return
        judged = [(f"{s}, {a.name} vs {b.name}", *claims.better(a, b, metric, higher))
                  for a, b, s in pairs]  # fmt: skip
        numbers = "; ".join(f"{what}: {why}" for what, _, why in judged)
        out.append(claims.Claim(text, combine([v for _, v, _ in judged]), numbers))

    both = [s for s in nsynth.SETS if any(r["set"] == s for r in records)]
    both = both if len(both) == 2 else []
    judge("PCINRs beat TCNNs on MSE on both sets",
          [(s, "PCINR", "TCNN") for s in both], claims.every, "mse")  # fmt: skip
    for m in ("cdpam", "multi_stft"):
        name = METRIC_NAMES[m]
        judge(f"on the keyboard set the plain PCINR loses to the TCNN on {name}",
              [("keyboard", "TCNN", "PCINR")], claims.every, m)  # fmt: skip
        judge(f"on the keyboard set Wide or WR improves on the plain PCINR in {name}",
              [("keyboard", "PCINR Wide", "PCINR"), ("keyboard", "PCINR WR", "PCINR")],
              claims.some, m)  # fmt: skip
    judge("recipe 'ours' beats the paper's recipe on MSE at equal wall time on both sets",
          [(s, "PCINR (ours)", "PCINR") for s in both], claims.every, "mse")  # fmt: skip
    return out


def write_tables(records: list[dict], sets, out: Path) -> None:
    """``table1.csv`` and ``table1.md`` from per-run records.

    Where a row trained longer than the PCINRs (:attr:`cinr_lab.experiments.Scale.longer`), the
    table and its findings are given as trained, at equal compute and at equal steps (that row
    read at its snapshots, :data:`VIEWS`); the CSV's ``at`` column says which.
    """
    views = {view: at(records, key) for view, key in VIEWS.items()
             if key is None or any(key in r for r in records)}  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["arch", "metric", "set", "mean", "std", "seeds", "paper_mean", "paper_std", "at"]
    )
    lines = []
    for view, rows in views.items():
        table = aggregate(rows, sets)
        measured = {k for cells in table.values() for k in cells}
        columns = [f"{m} {s}" for m in METRICS + EXTRA_METRICS for s in sets]
        columns = [c for c in columns if c.split()[0] in METRICS or c in measured]
        for arch, cells in table.items():
            for col in columns:
                if col in cells:
                    m, s = col.split()
                    n = len({r["seed"] for r in rows if r["arch"] == arch and r["set"] == s})
                    paper = PAPER.get(arch, {}).get(col, (None, None))
                    writer.writerow([arch, m, s, f"{cells[col][0]:.4g}", f"{cells[col][1]:.3g}",
                                     n, *paper, view])  # fmt: skip
        title = "This run" if len(views) == 1 else f"This run, {view}"
        lines += _markdown(title, table, columns, rows, with_paper=view == "as trained")
    atomic.write_text(out / "table1.csv", buffer.getvalue())
    seeds = sorted({r["seed"] for r in records})
    counts: dict[str, dict[str, int]] = {}  # a build under way: models with fewer seeds, per set
    for r in records:
        counts.setdefault(r["arch"], {}).setdefault(r["set"], 0)
        counts[r["arch"]][r["set"]] += 1
    fewer = [
        (arch, " / ".join(str(n.get(s, 0)) for s in sets))
        for arch, n in counts.items()
        if arch not in BASELINES and min(n.get(s, 0) for s in sets) < len(seeds)
    ]
    longer = sorted({(r["arch"], r["equal_compute"]["step"], r["equal_steps"]["step"])
                     for r in records if "equal_compute" in r and "equal_steps" in r})  # fmt: skip
    lines += [
        f"Seeds: {len(seeds)}"
        + (
            " where the build has finished them; so far "
            + ", ".join(f"{arch} {n}" for arch, n in fewer)
            + f" ({' / '.join(sets)})"
            if fewer
            else ""
        )
        + ". Mean ± std over seeds of each metric's mean over notes. "
        + "".join(
            f"{arch} trained longer than the PCINRs, to learn its notes; at equal compute it is "
            f"read at its step {compute} (the computation of a PCINR's {steps} steps: its steps "
            f"cost less), at equal steps at its step {steps}. "
            for arch, compute, steps in longer
        )
        + f"A finding is judged by the {claims.LEVEL:.0%} paired per-note bootstrap interval of "
        "the difference (notes resampled together, each row's seeds on their own): reproduced "
        "when it lies on the finding's side, not reproduced when on the other, n/a when it holds "
        f"0 or when a run compared is on the silence plateau (MSE ≥ {claims.PLATEAU} × "
        "silence's): such a run has not learned its notes."
        + (
            " With one seed the interval resamples the notes only: it says nothing of how far "
            "another seed would land."
            if len(seeds) == 1
            else ""
        ),
    ]
    atomic.write_text(out / "table1.md", "\n".join(lines) + "\n")


def _markdown(title: str, table, columns, records, with_paper: bool) -> list[str]:
    """One view of the table in Markdown: ours, the paper's (``with_paper``), the findings."""

    def fmt(cell):
        return f"{cell[0]:.3g} ± {cell[1]:.2g}" if cell else "—"

    names = (f"{METRIC_NAMES[c.split()[0]]} {c.split()[1].title()}" for c in columns)
    head = "| Arch. | " + " | ".join(names) + " |"
    rule = "|---" * (len(columns) + 1) + "|"
    lines = [f"## {title}", "", head, rule]
    for arch, cells in table.items():
        lines.append(f"| {arch} | " + " | ".join(fmt(cells.get(c)) for c in columns) + " |")
    if with_paper:
        lines += ["", "## The paper (Table 1)", "", head, rule]
        for arch in table:
            if arch in PAPER:
                row = " | ".join(fmt(PAPER[arch].get(c)) for c in columns)
                lines.append(f"| {arch} | {row} |")
    view = title.split(", ", 1)[1] if ", " in title else "at this scale"
    lines += ["", f"## The paper's findings {view}", ""]
    for c in findings(records):
        word = {True: "**reproduced**", False: "**not reproduced**", None: "n/a"}[c.holds]
        word = "not measured" if c.numbers == "not measured" else word
        lines.append(f"- {c.text}: {word}" + ("" if word == "not measured" else f" — {c.numbers}"))
    return lines + [""]
