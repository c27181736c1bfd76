"""The benchmark's plumbing (its numbers are reported, not asserted: see README, Performance)."""

from __future__ import annotations

from cinr_lab import bench, models
from cinr_lab.cli import main


def test_stream_reports_a_real_time_factor_per_block_size(monkeypatch):
    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    rtf = bench.stream("pcinr", repeats=1)
    assert set(rtf) == {"whole", "exported_block_1024"} | {f"block_{b}" for b in bench.BLOCKS}
    assert all(v > 0 for v in rtf.values())


def test_only_a_known_part(capsys):
    assert main(["bench", "--only", "stream,gpu"]) == 2
    assert "only: unknown part 'gpu'; choose from data, train" in capsys.readouterr().err
