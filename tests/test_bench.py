"""The benchmark's plumbing (its numbers are reported, not asserted: see README, Performance)."""

from __future__ import annotations

import pytest

from cinr_lab import models
from cinr_lab.ops import bench
from cinr_lab.ops.cli import main


def test_stream_reports_a_real_time_factor_per_block_size(monkeypatch):
    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    rtf = bench.stream("pcinr", repeats=1)
    assert set(rtf) == {"whole", "exported_block_1024"} | {f"block_{b}" for b in bench.BLOCKS}
    assert all(v > 0 for v in rtf.values())


def test_only_a_known_part(capsys):
    assert main(["bench", "--only", "stream,gpu"]) == 2
    assert "only: unknown part 'gpu'; choose from data, train" in capsys.readouterr().err


def test_fold_times_both_paths_and_leaves_the_setting_as_it_was(monkeypatch):
    from cinr_lab.pcinr import FiLMLayer

    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    monkeypatch.setattr(FiLMLayer, "fold", True)
    calls = []
    original = FiLMLayer.forward

    def forward(self, *args):
        calls.append(FiLMLayer.fold)
        return original(self, *args)

    monkeypatch.setattr(FiLMLayer, "forward", forward)
    result = bench.fold("pcinr", rounds=1, repeats=1)
    assert set(result) == {"train_step_s", "render_1s_s", "stream_1024_s"}
    for entry in result.values():
        assert entry["plain"] > 0 and entry["folded"] > 0
        assert entry["speed_up"] > 0
    assert set(calls) == {False, True}  # both paths ran
    assert FiLMLayer.fold is True


def test_paper_times_both_networks_side_by_side(monkeypatch, cxx_compiler):
    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    result = bench.paper("pcinr", rounds=1, repeats=1)
    assert result["matmul_peak_gflops"] > 0
    tasks = {"train_step", "render_1s"} | {f"stream_{b}" for b in bench.BLOCKS}
    for task in tasks:
        assert {"cinr_lab", "paper", "speed_up"} <= set(result[task])
        assert result[task]["paper"]["seconds"] > 0
    assert result["train_step"]["cinr_lab"]["points_per_s"] > 0
    assert result["train_step"]["cinr_lab compiled"]["points_per_s"] > 0  # a C++ compiler here
    assert result["train_step"]["speed_up_compiled"] > 0
    assert 0 < result["render_1s"]["paper"]["rtf"]
    assert set(result["exported_1024"]) == {"cinr_lab"}


def test_forward_flops_counts_the_coordinate_network():
    model = models.build(models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16))
    # t -> 16 -> 16 -> 1 at 10 points: 2·10·(1·16 + 16·16 + 16·1)
    assert bench.forward_flops(model, 10) == 2 * 10 * (16 + 256 + 16)


def test_training_step_reports_speed_and_kernel_share(monkeypatch):
    import torch

    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)
    threads = torch.get_num_threads()
    try:
        result = bench.training_step("pcinr", threads=1, keep_memory=False, steps=1)
        assert torch.get_num_threads() == 1  # the process is the benchmark's: it sets threads
    finally:
        torch.set_num_threads(threads)
    assert result["step_s"] > 0 and result["points_per_s"] > 0
    assert 0 <= result["kernel_share"] <= 1


def test_processes_run_together_and_a_failure_is_loud():
    import pytest

    first, second = bench._processes(["machine()", "machine()"])
    assert first["cores"] == second["cores"] > 0
    with pytest.raises(RuntimeError, match="a benchmark process failed"):
        bench._processes(["no_such_function()"])


def test_precision_compares_reduced_precision_with_float32(embedded_home):
    result = bench.precision("tcnn-keyboard-64", notes=2, repeats=1)
    assert result["notes"] == 2 and result["float32"]["seconds"] > 0
    bf16 = result["bf16 autocast"]  # every device has it; fp16 and TF32 only on CUDA
    assert 0 < bf16["max_abs_difference"] < 0.1  # a bf16 render: close, not identical
    assert abs(bf16["snr_db"] - result["float32"]["snr_db"]) < 1.0


def test_compile_falls_back_to_reporting_the_error(monkeypatch):
    import torch

    small = models.config_for("pcinr", hidden=16, layers=2, mapping_hidden=16, samples=4096)
    monkeypatch.setattr(models, "config_for", lambda name, **kw: small)

    def no_compiler(fn, *args, **kwargs):
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(torch, "compile", no_compiler)
    with pytest.warns(UserWarning, match="no C.. compiler here; training eagerly"):
        result = bench.compiled("pcinr", repeats=1)
    assert result["eager"]["train_step_s"] > 0 and result["eager"]["render_1s_s"] > 0
    assert result["compiled"] == {
        "render_error": "RuntimeError: no C++ compiler here",
        "error": "RuntimeError: no C++ compiler here",
    }
