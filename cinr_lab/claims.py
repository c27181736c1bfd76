"""Findings as data: what each notebook claims, judged at the scale it runs at.

A notebook computes its numbers, turns them into :class:`Claim` s with one of the functions below
(``training`` for notebook 02, ``ratios`` for 03 beside :func:`cinr_lab.table.findings`,
``high_frequency`` and ``superres`` for 04, ``stationary`` and ``sweep`` for 05), and calls
:func:`check`. At a scale with recorded expectations (:data:`EXPECTED`: what the committed study
found) a claim that no longer comes out as recorded fails the cell, naming it; at any other scale
(``paper`` after a GPU run, or a scale of your own) the claims are reported, not asserted, so a
long run ends in a table of what reproduced rather than in an error.

Properties that hold whatever the scale (a count agreeing with its estimate, a render passing
through its samples) stay plain ``assert`` s in the notebooks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Claim:
    """One finding: what it says, whether it holds in these numbers, and the numbers."""

    text: str
    holds: bool | None  # None: not measurable here
    numbers: str = ""


class ClaimsChanged(AssertionError):
    """Findings at a scale with recorded expectations came out otherwise."""


def check(
    notebook: str,
    claims: Sequence[Claim],
    scale: str,
    expected: Mapping[str, Mapping[str, Mapping[str, bool]]] | None = None,
) -> list[Claim]:
    """Print the claims and hold them to the expectations recorded for ``scale``, if any.

    Args:
        notebook: the key of :data:`EXPECTED` (``"02"``, ``"04_hf"``, ...: a notebook, or one
            of its sections).
        claims: what the notebook found.
        scale: the scale it ran at.
        expected: ``{notebook: {scale: {claim text: holds}}}`` (default :data:`EXPECTED`).

    Returns:
        ``claims``.

    Raises:
        ClaimsChanged: at a recorded scale, a claim came out otherwise or is not recorded (an
            expectation without a claim is an error too: a claim was renamed or dropped).
    """
    recorded = (EXPECTED if expected is None else expected).get(notebook, {}).get(scale)
    for c in claims:
        mark = {True: "yes", False: "no ", None: "n/a"}[c.holds]
        print(f"{mark}  {c.text}" + (f"  [{c.numbers}]" if c.numbers else ""))
    if recorded is None:
        print(
            f"(no expectations recorded for {notebook} at scale {scale!r}: reported, not checked)"
        )
        return list(claims)
    found = {c.text: c.holds for c in claims}
    wrong = [
        f"{text!r}: expected {want}, found {found.get(text, 'no such claim')}"
        for text, want in recorded.items()
        if found.get(text, "missing") != want
    ]
    wrong += [f"{text!r}: not recorded for {scale!r}" for text in found if text not in recorded]
    if wrong:
        raise ClaimsChanged(f"{notebook} at scale {scale!r}: " + "; ".join(wrong))
    print(f"(all {len(claims)} match what the committed {scale!r} study found)")
    return list(claims)


# --------------------------------------------------------------------------- comparing runs

PLATEAU = 0.9
"""A run is on the silence plateau while its summed MSE (mean over notes) is at least this
fraction of silence's (mean per-note SNR below about 0.5 dB): the MSE-optimal output of notes the
decoder cannot tell apart is their mean, and the mean of many notes is close to silence. No
comparison with such a run is a finding: it compares against a model that has not learned."""

LEVEL = 0.95
"""Confidence level of :func:`paired_ci`."""

BOOTSTRAPS = 4000
"""Resamples :func:`paired_ci` draws."""


def on_plateau(mse: float, silence: float) -> bool:
    """Whether a run of summed MSE ``mse`` (mean over notes) is on the silence plateau."""
    return mse >= PLATEAU * silence


@dataclass(frozen=True)
class Runs:
    """One row's runs on one set, as a comparison needs them.

    Attributes:
        name: the row (``"PCINR"``).
        values: ``{metric: [seeds, notes]}`` per-note values, notes in the same order for every
            row of the set; a metric may be missing (records written before per-note values).
        mse: each seed's summed MSE, mean over notes, ``[seeds]``.
        silence: silence's summed MSE on the same notes (mean over notes).
    """

    name: str
    values: Mapping[str, np.ndarray]
    mse: Sequence[float]
    silence: float

    def plateau(self) -> str | None:
        """Why this row is on the silence plateau (its worst seed), or None when it is not."""
        worst = int(np.argmax(self.mse))
        if not on_plateau(self.mse[worst], self.silence):
            return None
        return f"{self.name} seed {worst}: MSE {self.mse[worst] / self.silence:.2f} × silence's"


def paired_ci(
    a: np.ndarray, b: np.ndarray, level: float = LEVEL, boots: int = BOOTSTRAPS, seed: int = 0
) -> tuple[float, float, float]:
    """Mean difference ``a − b`` and its bootstrap confidence interval, paired by note.

    Each resample draws the notes with replacement (the same notes for both rows: the pairing)
    and, for each row on its own, its seeds with replacement (seeds of two architectures are not
    paired); the statistic is the mean over the drawn notes of each row's mean over its drawn
    seeds. The interval is the resamples' central ``level`` quantiles (percentile bootstrap).

    Args:
        a, b: ``[seeds, notes]`` per-note values of two rows on the same notes (the seed
            counts may differ).

    Returns:
        ``(difference of means, low, high)``.
    """
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"paired by note: {a.shape[1]} notes against {b.shape[1]}")
    rng = np.random.default_rng(seed)
    notes = rng.integers(0, a.shape[1], (boots, a.shape[1]))

    def resampled(x: np.ndarray) -> np.ndarray:  # [boots, notes]: each note's mean over seeds
        seeds = rng.integers(0, x.shape[0], (boots, x.shape[0]))
        per_note = x[seeds].mean(axis=1)  # [boots, notes]
        return np.take_along_axis(per_note, notes, axis=1)

    stats = (resampled(a) - resampled(b)).mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(stats, [tail, 1 - tail])
    return float(a.mean() - b.mean()), float(low), float(high)


def better(first: Runs, second: Runs, metric: str, higher: bool = False) -> tuple[bool | None, str]:
    """Does ``first`` beat ``second`` on ``metric`` (lower is better unless ``higher``)?

    Returns:
        ``(verdict, numbers)``: True when the :func:`paired_ci` interval of the difference lies
        wholly on the better side, False when wholly on the worse side, None when it holds 0
        (no difference resolved), when either row is on the silence plateau (``"n/a (on the
        silence plateau: ...)"``), or when the records hold no per-note values of ``metric``.
    """
    stuck = [why for why in (first.plateau(), second.plateau()) if why]
    if stuck:
        return None, f"n/a (on the silence plateau: {'; '.join(stuck)})"
    if metric not in first.values or metric not in second.values:
        return None, f"n/a (no per-note {metric} in the records)"
    diff, low, high = paired_ci(first.values[metric], second.values[metric])
    if higher:
        verdict = True if low > 0 else False if high < 0 else None
    else:
        verdict = True if high < 0 else False if low > 0 else None
    numbers = f"{first.name} − {second.name} {diff:+.3g} [{low:+.3g}, {high:+.3g}]"
    return verdict, numbers + ("" if verdict is not None else ", interval holds 0")


def every(verdicts: Sequence[bool | None]) -> bool | None:
    """A claim about all cases: False if one fails, True if all hold, else None."""
    return False if False in verdicts else True if all(v is True for v in verdicts) else None


def some(verdicts: Sequence[bool | None]) -> bool | None:
    """A claim about one case or another: True if one holds, False if all fail, else None."""
    return True if True in verdicts else False if all(v is False for v in verdicts) else None


# --------------------------------------------------------------------------- notebook 02


def training(
    final: Mapping[str, float], snr: Mapping[str, float], silence: float, hf: Mapping[str, float]
) -> list[Claim]:
    """Notebook 02's claims.

    Args:
        final: whole-clip MSE (mean over notes) of ``"pcinr"``, ``"tcnn"``, ``"pcinr (ours)"``.
        snr: mean per-note SNR (dB) of the same runs.
        silence: the MSE of predicting silence.
        hf: ``"truth"``: the notes' median share of energy above 4 kHz; each run: its median
            HF excess (:func:`cinr_lab.analysis.hf_excess`, the study's one hiss number, as in
            notebooks 04 and 07).
    """
    p, t, o = final["pcinr"], final["tcnn"], final["pcinr (ours)"]

    def stuck(*names: str) -> str | None:  # a comparison with a run on the plateau is no finding
        on = [f"{n}: MSE {final[n] / silence:.2f} × silence's" for n in names
              if on_plateau(final[n], silence)]  # fmt: skip
        return f"n/a (on the silence plateau: {'; '.join(on)})" if on else None

    return [
        Claim(
            "the TCNN ends on the silence plateau",
            abs(t / silence - 1) < 0.05,
            f"MSE {t:.3g}, silence {silence:.3g}",
        ),
        Claim("the PCINR leaves it: below half of silence's MSE", p < silence / 2, f"MSE {p:.3g}"),
        Claim(
            "recipe 'ours' fits further in the same wall time (MSE 1.4x lower)",
            None if stuck("pcinr", "pcinr (ours)") else o < p / 1.4,
            stuck("pcinr", "pcinr (ours)") or f"MSE {o:.3g} vs {p:.3g}",
        ),
        Claim(
            "the PCINR fits further than the TCNN (mean per-note SNR)",
            None if stuck("pcinr", "tcnn") else snr["pcinr"] > snr["tcnn"],
            stuck("pcinr", "tcnn") or f"{snr['pcinr']:+.1f} vs {snr['tcnn']:+.1f} dB",
        ),
        Claim(
            "the paper's PCINR hisses (more energy above 4 kHz than the notes)",
            None if stuck("pcinr") else hf["pcinr"] > HISS * hf["truth"],
            stuck("pcinr")
            or f"HF excess {hf['pcinr']:+.2%} of the note's energy; the notes hold "
            f"{hf['truth']:.2%}",
        ),
    ]


# --------------------------------------------------------------------------- notebook 03


def ratios(
    ratio: Mapping[str, Mapping[str, float]],
    ours: Mapping[str, Mapping[str, tuple[float, float]]],
    sets: Sequence[str],
    rows: Sequence[str],
) -> list[Claim]:
    """Notebook 03's claims beside Table 1's findings: the table read as ratios to silence.

    Args:
        ratio: ``{row: {"metric set": value ÷ silence's}}``
            (:func:`cinr_lab.table.relative_to_silence`).
        ours: the aggregated table, ``{row: {"metric set": (mean, std)}}``.
        sets: the sets measured.
        rows: the paper's rows present (TCNN, PCINR, Wide, WR).
    """

    def r(row, col):
        return ratio[row][col]

    claims = []
    for s in sets:
        claims += [
            Claim(
                f"{s}: the TCNN scores silence's MSE and multi-STFT",
                abs(r("TCNN", f"mse {s}") - 1) < 0.02
                and abs(r("TCNN", f"multi_stft {s}") - 1) < 0.05,
                f"{r('TCNN', f'mse {s}'):.3f}, {r('TCNN', f'multi_stft {s}'):.3f} of silence",
            ),
            Claim(
                f"{s}: Wide and ours reach below half of silence's MSE",
                r("PCINR Wide", f"mse {s}") < 0.5 and r("PCINR (ours)", f"mse {s}") < 0.5,
                f"{r('PCINR Wide', f'mse {s}'):.2f}, {r('PCINR (ours)', f'mse {s}'):.2f}",
            ),
            Claim(
                f"{s}: no decoder beats silence's multi-STFT by more than 10 %",
                min(r(a, f"multi_stft {s}") for a in (*rows, "PCINR (ours)")) > 0.9,
            ),
            Claim(
                f"{s}: Wide is the best of the paper's rows on MSE",
                min(rows, key=lambda a: ours[a][f"mse {s}"][0]) == "PCINR Wide",
            ),
            Claim(
                f"{s}: ours' MSE is 1.7x below the paper recipe's",
                ours["PCINR"][f"mse {s}"][0] / ours["PCINR (ours)"][f"mse {s}"][0] > 1.7,
                f"{ours['PCINR'][f'mse {s}'][0] / ours['PCINR (ours)'][f'mse {s}'][0]:.2f}x",
            ),
        ]
    if "diverse" in sets:
        claims += [
            Claim(
                "diverse: the plain PCINR and WR are 20 % worse than silence on multi-STFT",
                r("PCINR", "multi_stft diverse") > 1.2
                and r("PCINR WR", "multi_stft diverse") > 1.2,
            ),
            Claim(
                "diverse: the plain PCINR is only just below silence's MSE (above 85 %)",
                r("PCINR", "mse diverse") > 0.85,
                f"{r('PCINR', 'mse diverse'):.2f}",
            ),
        ]
    return claims


# --------------------------------------------------------------------------- notebook 04


HISS = 0.1
"""Hiss: a median excess above 4 kHz over this share of the notes' own energy there (04, 07)."""


def high_frequency(hf: Mapping[str, Mapping[str, float]], own: Mapping[str, float]) -> list[Claim]:
    """Notebook 04's claims on the energy added above 4 kHz.

    Args:
        hf: ``{set: {row: median excess share above 4 kHz}}`` (reconstruction's minus truth's).
        own: ``{set: the notes' own median share above 4 kHz}``.
    """
    claims = []
    for s in hf:
        h = hf[s]
        claims += [
            Claim(
                f"{s}: the TCNN is (near) silent above 4 kHz",
                abs(h["TCNN"] + own[s]) < 0.1 * own[s],
            ),
            Claim(
                f"{s}: high-frequency excess ranks Wide < PCINR < ours",
                h["PCINR Wide"] < h["PCINR"] < h["PCINR (ours)"],
                ", ".join(f"{a} {v:+.3%}" for a, v in h.items()),
            ),
            Claim(
                f"{s}: the paper's PCINR hisses (excess over 10 % of the notes' own)",
                h["PCINR"] > HISS * own[s],
            ),
            Claim(
                f"{s}: ours hisses (excess over 10 % of the notes' own)",
                h["PCINR (ours)"] > HISS * own[s],
            ),
        ]
    if "diverse" in hf:
        claims.append(
            Claim(
                "diverse: the paper's PCINR's excess is under a quarter of the notes' own",
                abs(hf["diverse"]["PCINR"]) < own["diverse"] / 4,
            )
        )
    return claims


def superres(above: Mapping[str, Mapping[int, float]]) -> list[Claim]:
    """Notebook 04's super-resolution claims.

    Args:
        above: ``{row: {rate: share of energy above 8 kHz}}`` for the PCINR rows rendered at 2x
            and 4x the training rate.
    """
    return [
        Claim(
            "the paper's PCINR and Wide add nothing above 8 kHz (under 1e-4 of their energy)",
            above["PCINR"][64000] < 1e-4 and above["PCINR Wide"][64000] < 1e-4,
            f"{above['PCINR'][64000]:.1e}, {above['PCINR Wide'][64000]:.1e}",
        ),
        Claim(
            "ours puts 20x more energy above 8 kHz than the paper's PCINR",
            above["PCINR (ours)"][32000] > 20 * above["PCINR"][32000],
            f"{above['PCINR (ours)'][32000]:.1e} vs {above['PCINR'][32000]:.1e}",
        ),
    ]


# --------------------------------------------------------------------------- notebook 05


def stationary(points: Mapping, last: Mapping[str, float]) -> list[Claim]:
    """Notebook 05's claims on the trained models' stationary points.

    Args:
        points: ``{row: cinr_lab.analysis.Stationary}`` (mean over notes per layer and unit).
        last: ``{row: mean stationary points per second in the last layer}``.
    """
    p = points["PCINR"]
    per_layer = p.measured.mean(1)
    return [
        Claim("the PCINR's density grows with depth", bool(np.all(np.diff(per_layer) > 0))),
        Claim(
            "past the first layer, counts exceed twice the phase estimate (turning points)",
            bool(np.all(p.measured[1:].mean(1) > 2 * p.analytic[1:].mean(1))),
        ),
        Claim(
            "the last layer turns far slower than an 8 kHz tone (under 4,000 per second)",
            last["PCINR"] < 0.5 * 8000,
            f"{last['PCINR']:,.0f} per second",
        ),
        Claim(
            "training further (ours) adds stationary points in every layer past the second",
            bool(np.all(points["PCINR (ours)"].measured[2:].mean(1) > p.measured[2:].mean(1)))
            and last["PCINR (ours)"] > 1.15 * last["PCINR"],
            f"last layer {last['PCINR (ours)']:,.0f} vs {last['PCINR']:,.0f}",
        ),
        Claim(
            "Wide's last layer has 50-90 % of the PCINR's density",
            0.5 * last["PCINR"] < last["PCINR Wide"] < 0.9 * last["PCINR"],
            f"{last['PCINR Wide']:,.0f}",
        ),
        Claim(
            "WR leaves the density within 10 %",
            abs(last["PCINR WR"] / last["PCINR"] - 1) < 0.1,
            f"{last['PCINR WR']:,.0f}",
        ),
    ]


def sweep(
    density: Sequence[float],
    hf: Sequence[float],
    rho: float,
    mse: Sequence[float],
    silence: float,
    omegas: Sequence[float],
    paper_omega: float = 245.0,
) -> list[Claim]:
    """Notebook 05's claims on the ``ω_hidden`` sweep.

    Args:
        density: last-layer stationary points per second, per ω (ascending).
        hf: median high-frequency excess per ω.
        rho: Spearman correlation of density and high-frequency content over the notes.
        mse: whole-clip MSE per ω; silence: silence's.
        omegas: the ω values; paper_omega: the paper's.
    """
    density, hf, mse = np.asarray(density), np.asarray(hf), np.asarray(mse)
    return [
        Claim(
            "density rises with ω_hidden",
            bool(np.all(np.diff(density) > 0)),
            ", ".join(f"{o:g}: {d:,.0f}" for o, d in zip(omegas, density, strict=True)),
        ),
        Claim("but by under 30 % across the sweep", bool(density[-1] < 1.3 * density[0])),
        Claim("some ω of the sweep hisses (positive excess)", bool(np.any(hf > 0))),
        Claim("the largest ω has the most high-frequency content", bool(hf[-1] == hf.max())),
        Claim(
            "density and high-frequency content rank alike (Spearman ρ > 0.5)",
            rho > 0.5,
            f"ρ = {rho:.2f}",
        ),
        Claim("every ω learns (MSE under 60 % of silence's)", bool(np.all(mse < 0.6 * silence))),
        Claim(
            f"the largest ω fits worse than the paper's {paper_omega:g}",
            bool(mse[-1] > mse[list(omegas).index(paper_omega)]),
        ),
    ]


# ------------------------------------------------------------------ 04 and 05: along training

FITTED_DB = 15.0
"""Learned its notes: a mean per-note SNR of at least this (issue 27's target for the fit scale;
the paper's own Table 1 is 10.6-15.4 dB as MSE over silence)."""

TREND = 0.5
"""A measure grows (shrinks) along training when its Spearman ρ with the step is above this
(below minus this) over the points off the silence plateau; in between, no trend."""


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (:func:`scipy.stats.spearmanr`; NaN under three points)."""
    import scipy.stats

    return float(scipy.stats.spearmanr(x, y).statistic) if len(x) >= 3 else float("nan")


ADDS = 4.0
"""A model puts energy between the harmonics above 4 kHz when its error there exceeds this many
times the notes' own energy there: ``‖e‖ ≥ ‖recon‖ − ‖truth‖`` in those bins, so an error of
4× the truth's means the reconstruction holds at least as much energy there as the notes do
(and the notes hold little: they are harmonic)."""


def along(
    curves: Mapping[str, Mapping[str, Sequence[Mapping]]],
    own: Mapping[str, float],
    silence: Mapping[str, float],
    own_between: Mapping[str, float] | None = None,
) -> list[Claim]:
    """Notebooks 04 and 05's claims on fitting and hiss along training (the ``fit`` scale).

    Args:
        curves: ``{set: {row: points}}``, one run's :func:`cinr_lab.analysis.along_training`
            records (step 0, the snapshots, the end).
        own: ``{set: the notes' own median share of energy above 4 kHz}``.
        silence: ``{set: silence's MSE}``; points at or above :data:`PLATEAU` × it are on the
            silence plateau and left out of every trend, and a run that ends there gets n/a.
        own_between: ``{set: the notes' own median energy between the harmonics above 4 kHz}``
            (:func:`cinr_lab.analysis.between_harmonics` of silence); with it, whether a run
            ends with energy there (:data:`ADDS`).
    """
    out = []
    for s, rows in curves.items():
        between = None if own_between is None else own_between[s]
        for row, points in rows.items():
            out += _along_one(s, row, points, own[s], silence[s], between)
    return out


TRENDS = ("HF excess", "error between harmonics above 4 kHz", "last-layer density")
"""What :func:`along` follows along training (the density only for runs that measure it)."""


def along_texts(s: str, row: str, density: bool, between: bool) -> list[str]:
    """:func:`along`'s claim texts for one run of set ``s``, in order: fitted, hisses at the end,
    one trend per :data:`TRENDS` (the density only with ``density``), hiss follows density (with
    ``density``), adds energy between the harmonics (with ``between``)."""
    texts = [
        f"{s}: {row} has learned its notes (mean per-note SNR ≥ {FITTED_DB:g} dB)",
        f"{s}: {row} hisses at the end (HF excess over 10 % of the notes' own)",
    ]
    texts += [f"{s}: {row}'s {name} grows as it fits" for name in TRENDS[: 3 if density else 2]]
    if density:
        texts.append(f"{s}: {row}'s hiss follows its density (error between harmonics above 4 kHz "
                     f"against last-layer density, Spearman ρ > {TREND})")  # fmt: skip
    if between:
        texts.append(f"{s}: {row} adds energy between the harmonics above 4 kHz (error there over "
                     f"{ADDS:g}× the notes' own)")  # fmt: skip
    return texts


def _along_one(
    s: str, row: str, points: Sequence[Mapping], own: float, silence: float, between: float | None
) -> list[Claim]:
    """:func:`along`'s claims for one run of set ``s``."""
    end = points[-1]
    has_density = end.get("density") is not None
    texts = iter(along_texts(s, row, has_density, between is not None))
    learned = [p for p in points if not on_plateau(p["mse"], silence)]
    stuck = None
    if on_plateau(end["mse"], silence):
        stuck = f"n/a (on the silence plateau: MSE {end['mse'] / silence:.2f} × silence's)"
    fit = f"{end['snr']:.1f} dB at step {end['step']}"
    out = [Claim(next(texts), end["snr"] >= FITTED_DB, fit)]
    excess = f"excess {100 * end['hf_excess']:+.3f} %, notes' own {100 * own:.3f} %"
    hiss = None if stuck else end["hf_excess"] > HISS * own
    out.append(Claim(next(texts), hiss, stuck or excess))
    trends = [lambda p: p["hf_excess"], lambda p: p["between_hf"]]
    if has_density:
        trends.append(lambda p: p["density"][-1])
    for get in trends:
        rho = spearman([p["step"] for p in learned], [get(p) for p in learned])
        holds = None
        if not stuck and not np.isnan(rho):
            holds = True if rho > TREND else False if rho < -TREND else None
        numbers = stuck or f"ρ(step, value) = {rho:.2f} over {len(learned)} points"
        out.append(Claim(next(texts), holds, numbers))
    if has_density:
        density = [p["density"][-1] for p in learned]
        rho = spearman(density, [p["between_hf"] for p in learned])
        holds = None if stuck or np.isnan(rho) else rho > TREND
        out.append(Claim(next(texts), holds, stuck or f"ρ = {rho:.2f}"))
    if between is not None:
        ratio = end["between_hf"] / between
        adds = None if stuck else ratio > ADDS
        out.append(Claim(next(texts), adds, stuck or f"{ratio:.1f}× the notes' own"))
    return out


def across(
    curves: Mapping[str, Mapping[str, Sequence[Mapping]]], of: str = "variant"
) -> list[Claim]:
    """Notebook 07's question across models (the ``fit`` scale): do the variants that end with
    more error between the harmonics have denser last layers? Per set, over the variants that
    have learned their notes (:data:`FITTED_DB`), then over every variant (a less-fitted one has
    had less time to add hiss, so fit confounds that second ranking).

    Args:
        curves: ``{set: {variant: points}}`` as for :func:`along`; the last point of each is its
            end, and variants without a density (the TCNN) are left out.
        of: what a key of ``curves`` is, for the claims' text: ``"variant"`` (one run each), or
            ``"run"`` (every seed of every variant, each ranked on its own).
    """
    out = []
    for s, rows in curves.items():
        ends = {v: p[-1] for v, p in rows.items() if p[-1].get("density") is not None}
        fitted = {v: e for v, e in ends.items() if e["snr"] >= FITTED_DB}
        for label, chosen in ((f"the fitted {of}s", fitted), (f"every {of}", ends)):
            density = [e["density"][-1] for e in chosen.values()]
            rho = spearman(density, [e["between_hf"] for e in chosen.values()])
            text = (f"{s}: across {label}, hiss ranks with last-layer density (error between "
                    f"harmonics above 4 kHz at the end, Spearman ρ > {TREND})")  # fmt: skip
            numbers = f"ρ = {rho:.2f} over {len(chosen)}: " + ", ".join(chosen)
            out.append(Claim(text, None if np.isnan(rho) else bool(rho > TREND), numbers))
    return out


# --------------------------------------------------------------------------- notebook 07


MUFFLE = 0.5
"""Muffled: a median excess below minus this share of the notes' own energy above 4 kHz."""


def beyond(
    table: Mapping[str, Mapping[str, Mapping[str, float]]],
    own: Mapping[str, float],
    baseline: str = "PCINR",
    rivals: Sequence[str] = ("PCINR", "PCINR Wide"),
    diverged: Sequence[Mapping] = (),
    unstable: str = "BACON, lr 1e-4",
    snr_seeds: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    stuck: Mapping[str, Mapping[str, str | None]] | None = None,
    snr_notes: Mapping[str, Mapping[str, np.ndarray]] | None = None,
) -> list[Claim]:
    """Notebook 07's verdicts: per set and variant, does it hiss, muffle, fit better than the
    paper's PCINR; the issue's goal, a variant that removes the hiss (median excess at or
    below zero: no more energy above 4 kHz than the truth) and beats ``rivals`` on SNR (higher),
    multi-STFT and CDPAM (lower) on every set; and which runs diverged.

    Args:
        table: ``{set: {variant: {"snr", "multi_stft", "cdpam", "hf_excess": mean over seeds}}}``.
        own: ``{set: the notes' own median share of energy above 4 kHz}``.
        diverged: the records of runs whose loss became inf or NaN (``set``, ``variant``,
            ``seed``), left out of ``table``.
        unstable: the variant expected to be the one that diverges.
        snr_seeds: ``{set: {variant: per-seed mean per-note SNR}}``. With it, "fits better"
            is judged seed by seed: it holds when every seed of the variant beats every seed
            of the PCINR, fails when every PCINR seed beats every seed of the variant, and is
            ``None`` (no verdict) when the seeds overlap. Without it, the means decide.
        stuck: ``{set: {variant: why it is on the silence plateau, or None}}``
            (:func:`cinr_lab.beyond.plateau`). A variant on the plateau has not learned its
            notes: whether it hisses, muffles or fits better is n/a, and it cannot meet the goal.
        snr_notes: ``{set: {variant: [seeds, notes] per-note SNR}}``. Where it holds both the
            variant and the PCINR, "fits better" is judged as Table 1's findings are: by the
            :func:`paired_ci` interval of the SNR difference, paired by note (True above zero,
            False below, None holding it); elsewhere by ``snr_seeds``.
    """
    claims = []

    def why(s: str, *variants: str) -> str | None:
        reasons = [(stuck or {}).get(s, {}).get(v) for v in variants]
        reasons = [r for r in reasons if r]
        return f"n/a (on the silence plateau: {'; '.join(reasons)})" if reasons else None

    for s, rows in table.items():
        base = rows[baseline]
        for v, m in rows.items():
            excess = f"excess {100 * m['hf_excess']:+.3f} %, notes' own {100 * own[s]:.3f} %"
            if why(s, v):
                claims += [Claim(f"{s}: {v} {w}", None, why(s, v)) for w in ("hisses", "muffles")]
            else:
                claims += [
                    Claim(f"{s}: {v} hisses", m["hf_excess"] > HISS * own[s], excess),
                    Claim(f"{s}: {v} muffles", m["hf_excess"] < -MUFFLE * own[s], excess),
                ]
            if v != baseline and why(s, v, baseline):
                text = f"{s}: {v} fits better than the PCINR (per-note SNR)"
                claims.append(Claim(text, None, why(s, v, baseline)))
            elif v != baseline:
                numbers = f"{m['snr']:.2f} vs {base['snr']:.2f} dB"
                better: bool | None = m["snr"] > base["snr"]
                notes = (snr_notes or {}).get(s, {})
                if v in notes and baseline in notes:
                    diff, low, high = paired_ci(notes[v], notes[baseline])
                    better = True if low > 0 else False if high < 0 else None
                    numbers += (f"; {diff:+.2f} dB [{low:+.2f}, {high:+.2f}], paired by note over "
                                f"{len(notes[v])} and {len(notes[baseline])} seeds")  # fmt: skip
                elif snr_seeds is not None:
                    mine, theirs = snr_seeds[s][v], snr_seeds[s][baseline]
                    better = (
                        True if min(mine) > max(theirs)
                        else False if max(mine) < min(theirs)
                        else None
                    )  # fmt: skip
                    numbers += (
                        f"; seeds {min(mine):.2f} to {max(mine):.2f} vs "
                        f"{min(theirs):.2f} to {max(theirs):.2f}"
                        + (", overlapping" if better is None else "")
                    )
                claims.append(
                    Claim(f"{s}: {v} fits better than the PCINR (per-note SNR)", better, numbers)
                )

    def wins(v: str) -> bool:
        return all(
            not why(s, v, *rivals)
            and rows[v]["hf_excess"] <= 0
            and all(
                rows[v]["snr"] > rows[r]["snr"]
                and rows[v]["multi_stft"] < rows[r]["multi_stft"]
                and rows[v]["cdpam"] < rows[r]["cdpam"]
                for r in rivals
            )
            for s, rows in table.items()
        )

    variants = [v for v in next(iter(table.values())) if v not in rivals]
    winners = [v for v in variants if all(v in rows for rows in table.values()) and wins(v)]
    claims.append(
        Claim(
            "a variant removes the hiss and beats PCINR and Wide on SNR, multi-STFT and CDPAM "
            "on both sets",
            bool(winners),
            ", ".join(winners) or "none",
        )
    )
    runs = "; ".join(f"{r['set']} {r['variant']} seed {r['seed']}" for r in diverged)
    claims += [
        Claim("some run diverged (loss inf or NaN)", bool(diverged), runs or "none"),
        Claim(
            f"every run that diverged is {unstable}",
            all(r["variant"] == unstable for r in diverged) if diverged else None,
            runs,
        ),
    ]
    return claims


# --------------------------------------------------------------------------- what the study found

EXPECTED: dict[str, dict[str, dict[str, bool | None]]] = json.loads(
    Path(__file__).with_name("expected.json").read_text(encoding="utf-8")
)
"""What the committed study found, claim by claim (``expected.json`` beside this module:
``{notebook: {scale: {claim text: true / false / null}}}``): at the study scale (``"study"``),
and at the ``"fit"`` scale for the fit-scale sections of 04 and 07 (its records grow across
sessions: a new run that changes a verdict is recorded there with it; the notebook prints each
claim's text as the file spells it)."""
