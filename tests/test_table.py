"""Table 1: the build writes both files, resumes without retraining, and judges the findings."""

from __future__ import annotations

import csv

import pytest

from cinr_lab import experiments, metrics, table, train

TINY = experiments.Scale(items=2, steps=2, batch=2, coords=200, cdpam_items=1)


def test_build_writes_both_tables_and_resumes(embedded_home, tmp_path, monkeypatch):
    out = table.build(TINY, ("keyboard",), seeds=1, out=tmp_path / "res", runs=tmp_path / "runs")
    rows = list(csv.DictReader(open(out / "table1.csv")))
    measured = {"mse", "snr", "multi_stft"} | ({"cdpam"} if metrics.cdpam_available() else set())
    assert {(r["arch"], r["metric"]) for r in rows} == {
        (a, m) for a in (*table.ARCHS, *table.BASELINES) for m in measured
    }
    silence = next(r for r in rows if r["arch"] == "Silence" and r["metric"] == "mse")
    assert float(silence["std"]) == 0 and silence["paper_mean"] == "78.74"
    text = (out / "table1.md").read_text()
    assert "| PCINR WR |" in text and "## The paper (Table 1)" in text
    assert "SNR dB Keyboard" in text  # ours, beside the paper's metrics
    snr = next(r for r in rows if r["arch"] == "Silence" and r["metric"] == "snr")
    assert float(snr["mean"]) == pytest.approx(0.0, abs=1e-6)
    assert "PCINRs beat TCNNs on MSE on both sets: not measured" in text  # one set only

    def no_training(*args, **kwargs):
        raise AssertionError("a finished table cell was trained again")

    monkeypatch.setattr(train, "fit_or_load", no_training)
    again = table.build(TINY, ("keyboard",), seeds=1, out=tmp_path / "res", runs=tmp_path / "runs")
    assert list(csv.DictReader(open(again / "table1.csv"))) == rows


def test_findings_follow_the_numbers():
    def cells(pcinr_mse, tcnn_mse, pcinr_cdpam, tcnn_cdpam, wide_cdpam, wr_cdpam):
        return {
            "PCINR": {"mse diverse": (pcinr_mse, 0), "mse keyboard": (pcinr_mse, 0),
                      "cdpam keyboard": (pcinr_cdpam, 0)},
            "TCNN": {"mse diverse": (tcnn_mse, 0), "mse keyboard": (tcnn_mse, 0),
                     "cdpam keyboard": (tcnn_cdpam, 0)},
            "PCINR Wide": {"cdpam keyboard": (wide_cdpam, 0)},
            "PCINR WR": {"cdpam keyboard": (wr_cdpam, 0)},
        }  # fmt: skip

    paper_like = dict(table.findings(cells(1.0, 4.0, 0.5, 0.4, 0.3, 0.7)))
    assert paper_like["PCINRs beat TCNNs on MSE on both sets"] is True
    assert paper_like["on the keyboard set the plain PCINR loses to the TCNN on CDPAM"] is True
    assert paper_like["on the keyboard set Wide or WR improves on the plain PCINR in CDPAM"] is True
    assert (
        paper_like["on the keyboard set the plain PCINR loses to the TCNN on Multi-STFT MSE"]
        is None
    )
    assert (
        paper_like["recipe 'ours' beats the paper's recipe on MSE at equal wall time on both sets"]
        is None
    )
    with_ours = cells(1.0, 4.0, 0.5, 0.4, 0.3, 0.7)
    with_ours["PCINR (ours)"] = {"mse diverse": (0.5, 0), "mse keyboard": (1.5, 0)}
    mixed = dict(table.findings(with_ours))
    assert (
        mixed["recipe 'ours' beats the paper's recipe on MSE at equal wall time on both sets"]
        is False
    )
    with_ours["PCINR (ours)"]["mse keyboard"] = (0.9, 0)
    assert dict(table.findings(with_ours))[
        "recipe 'ours' beats the paper's recipe on MSE at equal wall time on both sets"
    ]
    opposite = dict(table.findings(cells(5.0, 4.0, 0.3, 0.4, 0.5, 0.7)))
    assert not any(v for v in opposite.values() if v is not None)


def test_ratios_to_silence():
    cells = {
        "PCINR": {"mse keyboard": (2.0, 0.1), "cdpam keyboard": (0.5, 0.0)},
        "Silence": {"mse keyboard": (8.0, 0.0), "cdpam keyboard": (2.0, 0.0)},
    }
    assert table.relative_to_silence(cells) == {
        "PCINR": {"mse keyboard": 0.25, "cdpam keyboard": 0.25}
    }
    paper = table.relative_to_silence(table.PAPER)
    assert paper["PCINR"]["mse diverse"] == pytest.approx(1.32 / 46.19)


def test_a_cell_travels_to_a_worker_process(embedded_home):
    """``table --jobs N`` sends each cell to a spawned worker: the task must pickle, and a
    baseline cell (no training) comes back as the record of the cell computed here."""
    import functools

    from cinr_lab import jobs

    kept = {}
    task = functools.partial(table.evaluate_cell, TINY, "keyboard", "Noise", 0)
    jobs.run("table", ["noise", "noise again"], [task, task], 2, kept.__setitem__)
    here = table.evaluate_cell(TINY, "keyboard", "Noise", 0, progress=False)
    for record in kept.values():
        assert {k: v for k, v in record.items() if k != "seconds"} == pytest.approx(
            {k: v for k, v in here.items() if k != "seconds"}
        )
