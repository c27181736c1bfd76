"""Block-by-block synthesis: the same samples as a whole-clip render, the mapping run once."""

from __future__ import annotations

import pytest
import torch

from cinr_lab import checks, models
from cinr_lab.ops import synth

SMALL = {"hidden": 32, "layers": 3, "mapping_hidden": 32, "samples": 2000}
ROUNDING = 1e-5  # float32: a matmul sums in an order that depends on the block's shape


def small(name: str, **overrides):
    torch.manual_seed(0)
    fields = {**SMALL, **overrides}
    if models.PRESETS[name].kind == "tcnn":
        fields = {"samples": 16384, "tcnn_dim": 4}
    return models.build(models.config_for(name, **fields)).eval()


@pytest.mark.parametrize("name", ["pcinr", "pcinr-parallel", "bacon", "pcinr-finer"])
@pytest.mark.parametrize("block", [1, 257, 1024, 2000, 5000])
def test_blocks_join_into_the_whole_clip(name, block):
    model = small(name, layers=2) if name == "pcinr-parallel" else small(name)
    z = torch.randn(2, model.config.latent_dim)
    blocks = list(synth.render_stream(model, z, block=block))
    assert all(b.shape == (2, block) for b in blocks[:-1]) and 1 <= blocks[-1].shape[1] <= block
    with torch.no_grad():
        whole = model.render(z)
    torch.testing.assert_close(torch.cat(blocks, -1), whole, rtol=0, atol=ROUNDING)


def test_streaming_at_twice_the_rate_matches_the_dense_render():
    model = small("pcinr")
    z = torch.randn(1, model.config.latent_dim)
    joined = torch.cat(list(synth.render_stream(model, z, block=999, rate_factor=2.0)), -1)
    with torch.no_grad():
        torch.testing.assert_close(joined, model.render(z, 2.0), rtol=0, atol=ROUNDING)


def test_the_mapping_network_runs_once_per_latent():
    model = small("pcinr")
    calls = []
    model.mapping.register_forward_hook(lambda *args: calls.append(1))
    blocks = list(synth.render_stream(model, torch.randn(1, model.config.latent_dim), block=100))
    assert len(blocks) == 20 and len(calls) == 1


def test_a_tcnn_streams_its_whole_clip_in_blocks():
    model = small("tcnn")
    z = torch.randn(1, model.config.latent_dim)
    joined = torch.cat(list(synth.render_stream(model, z, block=1000)), -1)
    with torch.no_grad():
        torch.testing.assert_close(joined, model(z), rtol=0, atol=0)
    with pytest.raises(ValueError, match="renders only its training grid"):
        next(synth.render_stream(model, z, rate_factor=2.0))


@pytest.mark.parametrize("block", [0, -5, 1.5, True])
def test_a_bad_block_size_is_refused(block):
    model = small("pcinr")
    with pytest.raises(checks.ConfigError, match="block"):
        next(synth.render_stream(model, torch.randn(1, model.config.latent_dim), block=block))


EXPORT_CHECK = """
import sys, torch
synth = torch.jit.load(sys.argv[1])
assert not any(m.startswith("cinr_lab") for m in sys.modules), "imported cinr_lab"
z = synth.latent(1)
out = torch.cat([synth(z, start, 700, 1.5, 1.02, 2.0) for start in range(0, 4000, 700)], -1)
torch.save({"out": out[:, :4000], "notes": synth.notes()}, sys.argv[2])
"""


@pytest.mark.parametrize("name", ["pcinr", "pcinr-shift", "pcinr-finer", "pcinr-gauss"])
def test_the_exported_synth_renders_the_librarys_samples_without_cinr_lab(name, tmp_path):
    import subprocess
    import sys

    model = small(name, film="per-layer") if name == "pcinr" else small(name)
    latents = torch.randn(3, model.config.latent_dim)
    run = type("Run", (), {"model": model, "latents": latents})
    path = synth.export_torchscript(run, tmp_path / "synth.pt")
    script = tmp_path / "check.py"
    script.write_text(EXPORT_CHECK)
    subprocess.run([sys.executable, str(script), str(path), str(tmp_path / "out.pt")], check=True,
                   cwd=tmp_path)  # fmt: skip
    result = torch.load(tmp_path / "out.pt")
    with torch.no_grad(), model.scaled(first=1.5, hidden=1.02):
        expected = model.render(latents[1:2], 2.0)
    assert result["notes"] == 3
    torch.testing.assert_close(result["out"], expected, rtol=0, atol=ROUNDING)
    with pytest.raises(FileExistsError, match="exists; pass --overwrite"):
        synth.export_torchscript(run, path)


@pytest.mark.parametrize("name", ["pcinr-parallel", "bacon", "tcnn"])
def test_other_kinds_are_refused_with_a_reason(name):
    model = small(name)
    with pytest.raises(ValueError, match="cannot export a kind"):
        synth.torchscript(model, torch.zeros(1, model.config.latent_dim))


def test_cli_exports_a_run_as_a_torchscript_synth(tiny_run, tmp_path, capsys):
    from cinr_lab.ops.cli import main

    out = tmp_path / "synth.pt"
    assert main(["export-model", str(tiny_run.path), "--torchscript", "--out", str(out)]) == 0
    assert "TorchScript synth, 4 notes" in capsys.readouterr().out
    loaded = torch.jit.load(str(out))
    samples = tiny_run.model_config.samples
    torch.testing.assert_close(loaded(loaded.latent(2), 0, samples), tiny_run.render([2]),
                               rtol=0, atol=ROUNDING)  # fmt: skip
    before = out.read_bytes()
    assert main(["export-model", str(tiny_run.path), "--torchscript", "--out", str(out)]) == 2
    assert "synth.pt: exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before
