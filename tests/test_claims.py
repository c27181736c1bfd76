"""Findings as data: the notebooks' claims report at any scale and are held to the study's record
at the study's scale. Each claim function runs here on made-up paper-scale numbers."""

from __future__ import annotations

import numpy as np
import pytest

from cinr_lab import analysis, claims

SETS = ("diverse", "keyboard")
ROWS = ("TCNN", "PCINR", "PCINR Wide", "PCINR WR")


def fake_results() -> dict[str, list[claims.Claim]]:
    """Every claim function on numbers a long paper-scale run might give (a fitted TCNN, a
    hissing PCINR), keyed as in :data:`claims.EXPECTED`."""
    rng = np.random.default_rng(0)
    mse = {"TCNN": 4.0, "PCINR": 1.3, "PCINR Wide": 6.5, "PCINR WR": 4.5, "PCINR (ours)": 1.0}
    ours = {a: {f"mse {s}": (v, 0.1) for s in SETS} for a, v in mse.items()}
    ratio = {a: {f"{m} {s}": v / 46 for m in ("mse", "multi_stft") for s in SETS}
             for a, v in mse.items()}  # fmt: skip
    table_findings = [claims.Claim("PCINRs beat TCNNs on MSE on both sets", True),
                      claims.Claim("a claim", None)]  # fmt: skip

    def stationary(scale):
        measured = np.cumsum(rng.uniform(100, 200, (8, 16)), axis=0) * scale
        return analysis.Stationary(measured, measured / 3, np.full((8, 16), 245.0), 2.0, 128000)

    points = {a: stationary(k) for a, k in zip(mse, (1, 1, 0.7, 1.0, 1.3), strict=True)}
    last = {a: float(p.measured[-1].mean()) for a, p in points.items()}
    hf = {s: {a: 0.01 for a in mse} for s in SETS}
    return {
        "02": claims.training(
            {"pcinr": 1.3, "tcnn": 4.0, "pcinr (ours)": 1.0},
            {"pcinr": 12.0, "tcnn": 8.0, "pcinr (ours)": 14.0},
            46.0,
            {"truth": 0.02, "pcinr": 0.05, "tcnn": 0.02, "pcinr (ours)": 0.04},
        ),  # fmt: skip
        "03_findings": table_findings,
        "03_ratios": claims.ratios(ratio, ours, SETS, ROWS),
        "04_hf": claims.high_frequency(hf, {s: 0.02 for s in SETS}),
        "04_superres": claims.superres({a: {32000: 1e-3, 64000: 1e-3} for a in mse}),
        "05_trained": claims.stationary(points, last),
        "05_sweep": claims.sweep(
            [1e3, 2e3, 3e3, 4e3],
            [0.01, 0.02, 0.03, 0.04],
            0.9,
            [10, 9, 8, 12],
            46.0,
            (30.0, 80.0, 245.0, 600.0),
        ),  # fmt: skip
    }


def test_at_a_scale_without_a_record_the_claims_are_reported_not_checked(capsys):
    for key, found in fake_results().items():
        assert claims.check(key, found, "paper") == found
        out = capsys.readouterr().out
        assert f"no expectations recorded for {key} at scale 'paper'" in out
        assert all(c.text in out for c in found)


def test_every_claim_the_notebooks_make_is_recorded_for_the_study():
    for key, found in fake_results().items():
        if key == "03_findings":  # Table 1's own finding texts, tested in test_table
            continue
        assert [c.text for c in found] == list(claims.EXPECTED[key]["study"]), key


def test_at_the_study_scale_a_changed_claim_fails_naming_it(capsys):
    record = {"02": {"study": {"a": True, "b": False}}}
    ok = [claims.Claim("a", True), claims.Claim("b", False)]
    assert claims.check("02", ok, "study", record) == ok
    assert "all 2 match" in capsys.readouterr().out
    with pytest.raises(claims.ClaimsChanged, match=r"'b': expected False, found True"):
        claims.check("02", [claims.Claim("a", True), claims.Claim("b", True)], "study", record)
    with pytest.raises(claims.ClaimsChanged, match=r"'b': expected False, found no such claim"):
        claims.check("02", [claims.Claim("a", True)], "study", record)
    with pytest.raises(claims.ClaimsChanged, match=r"'c': not recorded for 'study'"):
        claims.check("02", [*ok, claims.Claim("c", True)], "study", record)


def _row(snr, stft, cdpam, hf):
    return {"snr": snr, "multi_stft": stft, "cdpam": cdpam, "hf_excess": hf}


def test_beyond_verdicts_and_the_goal():
    own = {"keyboard": 0.01, "diverse": 0.02}
    table = {
        s: {
            "PCINR": _row(1.0, 0.03, 0.8, 0.002 * k),  # hisses on diverse only
            "PCINR Wide": _row(2.0, 0.02, 0.7, -0.001),
            "Quiet": _row(3.0, 0.01, 0.6, -0.02 * k),  # muffles, fits best
            "Noisy": _row(0.5, 0.04, 0.9, 0.05),
        }
        for k, s in ((1, "keyboard"), (2, "diverse"))
    }
    found = {c.text: c.holds for c in claims.beyond(table, own)}
    assert found["keyboard: PCINR hisses"] is True  # 0.002 > 0.1 × 0.01
    assert found["keyboard: Quiet muffles"] is True and found["keyboard: Quiet hisses"] is False
    assert found["diverse: Noisy fits better than the PCINR (per-note SNR)"] is False
    goal = (
        "a variant removes the hiss and beats PCINR and Wide on SNR, multi-STFT and CDPAM "
        "on both sets"
    )
    assert found[goal] is True
    table["diverse"]["Quiet"]["cdpam"] = 0.75  # worse than Wide's on one set: no winner
    assert {c.text: c.holds for c in claims.beyond(table, own)}[goal] is False
    assert found["some run diverged (loss inf or NaN)"] is False
    assert found["every run that diverged is BACON, lr 1e-4"] is None  # nothing to judge


def test_beyond_names_the_runs_that_diverged():
    own = {"keyboard": 0.01}
    table = {"keyboard": {"PCINR": _row(1.0, 0.03, 0.8, 0.0), "PCINR Wide": _row(2, 0.02, 0.7, 0)}}
    bacon = {"set": "keyboard", "variant": "BACON, lr 1e-4", "seed": 1}
    found = {c.text: c for c in claims.beyond(table, own, diverged=[bacon])}
    assert found["some run diverged (loss inf or NaN)"].holds is True
    assert found["some run diverged (loss inf or NaN)"].numbers == "keyboard BACON, lr 1e-4 seed 1"
    assert found["every run that diverged is BACON, lr 1e-4"].holds is True
    other = {**bacon, "variant": "FINER"}
    found = {c.text: c.holds for c in claims.beyond(table, own, diverged=[bacon, other])}
    assert found["every run that diverged is BACON, lr 1e-4"] is False


def test_beyond_fits_better_only_when_every_seed_does():
    own = {"keyboard": 0.01}
    snrs = {"PCINR": 1.0, "PCINR Wide": 3.0, "Close": 1.2, "Worse": -1.0}
    table = {"keyboard": {v: _row(snr, 0.02, 0.7, 0) for v, snr in snrs.items()}}
    seeds = {"keyboard": {"PCINR": [0.5, 1.0, 1.5], "PCINR Wide": [2.8, 3.0, 3.2],
                          "Close": [0.6, 1.2, 1.8], "Worse": [-1.2, -1.0, 0.4]}}  # fmt: skip
    found = {c.text: c for c in claims.beyond(table, own, snr_seeds=seeds)}
    better = "keyboard: {} fits better than the PCINR (per-note SNR)"
    assert found[better.format("PCINR Wide")].holds is True  # every seed above every PCINR seed
    assert found[better.format("Close")].holds is None  # higher mean, overlapping seeds
    assert "overlapping" in found[better.format("Close")].numbers
    assert found[better.format("Worse")].holds is False  # 0.4 < 0.5: below every PCINR seed
    means_only = {c.text: c.holds for c in claims.beyond(table, own)}
    assert means_only[better.format("Close")] is True  # without seeds the means decide


def test_beyond_fits_better_by_the_paired_interval_where_notes_are_kept():
    """As Table 1's findings: per-note SNR, paired by note, decides where both rows kept it."""
    rng = np.random.default_rng(1)
    notes = rng.uniform(5, 20, 16)  # the notes differ far more than the rows do
    pcinr = notes + 0.05 * rng.standard_normal((3, 16))
    better = notes + 0.3 + 0.05 * rng.standard_normal((2, 16))  # seeds overlap the PCINR's
    table = {"keyboard": {"PCINR": _row(pcinr.mean(), 0.02, 0.7, 0),
                          "Shifted": _row(better.mean(), 0.02, 0.7, 0),
                          "Seeds only": _row(better.mean(), 0.02, 0.7, 0)}}  # fmt: skip
    seeds = {"keyboard": {"PCINR": [9.0, 12.0, 15.0], "Shifted": [10.0, 14.0],
                          "Seeds only": [10.0, 14.0]}}  # fmt: skip
    notes_kept = {"keyboard": {"PCINR": pcinr, "Shifted": better}}
    found = claims.beyond(table, {"keyboard": 0.01}, snr_seeds=seeds, snr_notes=notes_kept)
    found = {c.text: c for c in found}
    shifted = found["keyboard: Shifted fits better than the PCINR (per-note SNR)"]
    assert shifted.holds is True and "paired by note over 2 and 3 seeds" in shifted.numbers
    seeds_only = found["keyboard: Seeds only fits better than the PCINR (per-note SNR)"]
    assert seeds_only.holds is None and "overlapping" in seeds_only.numbers  # no notes: seed rule


def test_paired_interval_resolves_a_shift_every_note_shares():
    rng = np.random.default_rng(0)
    notes = rng.uniform(1, 10, 16)  # notes differ a lot; the pairing removes that
    a = notes + 0.2 + 0.05 * rng.standard_normal((3, 16))
    b = notes + 0.05 * rng.standard_normal((3, 16))
    diff, low, high = claims.paired_ci(a, b)
    assert diff == pytest.approx(0.2, abs=0.05) and 0 < low < diff < high
    unpaired = claims.paired_ci(a, b[:, ::-1])  # notes no longer matched: the spread swamps it
    assert unpaired[1] < 0 < unpaired[2]
    with pytest.raises(ValueError, match="paired by note"):
        claims.paired_ci(a, b[:, :8])


def test_better_refuses_a_verdict_against_the_plateau():
    values = {"mse": np.ones((2, 4))}
    fitted = claims.Runs("A", values, [1.0, 1.1], silence=10.0)
    silent = claims.Runs("B", {"mse": 9 * np.ones((2, 4))}, [8.0, 9.3], silence=10.0)
    verdict, numbers = claims.better(fitted, silent, "mse")
    assert (
        verdict is None
        and numbers == "n/a (on the silence plateau: B seed 1: MSE 0.93 × silence's)"
    )
    learned = claims.Runs("B", {"mse": 3 * np.ones((2, 4))}, [3.0, 3.0], silence=10.0)
    assert claims.better(fitted, learned, "mse")[0] is True
    assert claims.better(learned, fitted, "mse")[0] is False
    assert claims.better(learned, fitted, "mse", higher=True)[0] is True
    assert claims.better(fitted, learned, "cdpam") == (
        None,
        "n/a (no per-note cdpam in the records)",
    )
    assert claims.every([True, None]) is None and claims.every([True, False]) is False
    assert claims.some([None, True]) is True and claims.some([False, False]) is False


def test_along_training_claims_follow_the_curve_and_skip_the_plateau():
    def point(step, mse, snr, excess, between, density):
        return {"step": step, "mse": mse, "snr": snr, "hf_excess": excess,
                "between_hf": between, "density": density}  # fmt: skip

    hissing = [
        point(0, 12, -1, 0.0, 1e-4, [1, 100]),
        point(100, 5, 5, 0.001, 2e-4, [1, 150]),
        point(500, 2, 10, 0.003, 4e-4, [1, 300]),
        point(2000, 0.5, 16, 0.006, 9e-4, [1, 900]),
    ]
    silent = [point(0, 12, -1, 0.0, 1e-4, None), point(2000, 9.8, 0.1, -0.01, 1e-5, None)]
    found = {c.text: c for c in claims.along({"keyboard": {"PCINR": hissing, "TCNN": silent}},
                                             {"keyboard": 0.01}, {"keyboard": 10.0})}  # fmt: skip
    assert found["keyboard: PCINR has learned its notes (mean per-note SNR ≥ 15 dB)"].holds
    assert found["keyboard: PCINR hisses at the end (HF excess over 10 % of the notes' own)"].holds
    assert found["keyboard: PCINR's HF excess grows as it fits"].holds is True
    assert found["keyboard: PCINR's last-layer density grows as it fits"].holds is True
    follows = [c for t, c in found.items() if t.startswith("keyboard: PCINR's hiss follows")]
    assert follows[0].holds is True and "ρ = 1.00" in follows[0].numbers
    assert found["keyboard: TCNN has learned its notes (mean per-note SNR ≥ 15 dB)"].holds is False
    stuck = found["keyboard: TCNN hisses at the end (HF excess over 10 % of the notes' own)"]
    assert stuck.holds is None and stuck.numbers.startswith("n/a (on the silence plateau: MSE 0.98")
    assert "keyboard: TCNN's last-layer density grows as it fits" not in found  # no units in t
    assert claims.spearman([1, 2], [2, 1]) != claims.spearman([1, 2], [2, 1])  # NaN: too few


def test_along_texts_spell_the_claims_along_makes_and_the_fit_record_uses_them():
    point = {"step": 0, "mse": 1.0, "snr": 16.0, "hf_excess": 0.0, "between_hf": 1e-4}
    curves = {"keyboard": {"PCINR": [{**point, "density": [1, 2]}], "TCNN": [point]}}
    found = claims.along(curves, {"keyboard": 0.01}, {"keyboard": 10.0}, {"keyboard": 1e-4})
    texts = claims.along_texts("keyboard", "PCINR", density=True, between=True)
    texts += claims.along_texts("keyboard", "TCNN", density=False, between=True)
    assert [c.text for c in found] == texts  # the density's two claims for the PCINR only
    record = claims.EXPECTED["04_along"]["fit"]  # expected.json: every run's claims, in full
    for s in SETS:
        for row in ("PCINR", "TCNN"):
            spelled = claims.along_texts(s, row, density=row != "TCNN", between=True)
            assert all(text in record for text in spelled), (s, row)
    assert {v for r in claims.EXPECTED.values() for c in r.values() for v in c.values()} <= {
        True,
        False,
        None,
    }


def test_across_ranks_hiss_with_density_over_fitted_variants_then_all():
    def end(snr, density, between):
        return [{"snr": snr, "density": [1.0, density], "between_hf": between}]

    rows = {
        "PCINR": end(16, 2000, 4e-4),
        "Wide": end(18, 1700, 2e-4),
        "FINER": end(15, 5000, 3e-3),
        "Unfitted": end(9, 6000, 1e-5),  # densest, quietest: left out of the fitted ranking
        "TCNN": [{"snr": 14, "density": None, "between_hf": 1e-4}],
    }
    found = claims.across({"diverse": rows, "keyboard": {"PCINR": rows["PCINR"]}})
    fitted, every, kb_fitted, _ = found
    assert fitted.text.startswith("diverse: across the fitted variants, hiss ranks with")
    assert fitted.holds is True and fitted.numbers == "ρ = 1.00 over 3: PCINR, Wide, FINER"
    assert every.holds is False and "over 4" in every.numbers  # the TCNN has no density
    assert kb_fitted.holds is None  # one variant: nothing to rank
    seeds = {"PCINR seed 0": rows["PCINR"], "PCINR seed 1": end(16, 2100, 5e-4),
             "FINER seed 0": rows["FINER"], "FINER seed 1": end(12, 4000, 1e-3)}  # fmt: skip
    fitted, every = claims.across({"diverse": seeds}, of="run")
    assert fitted.text.startswith("diverse: across the fitted runs, hiss ranks with")
    assert fitted.holds is True and fitted.numbers.startswith("ρ = 1.00 over 3: ")
    assert every.text.startswith("diverse: across every run,") and every.holds is True
