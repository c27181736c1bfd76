"""INR activations and the decoder interface: a non-sine variant end to end, and no caller that
asks a model which kind it is."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
import torch

from cinr_lab import activations, models, rendering
from cinr_lab.ops.cli import main
from cinr_lab.ops.synth import torchscript
from cinr_lab.pcinr import FiLMLayer

TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16, samples=400)


def test_unknown_activation_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'relu'; choose one of sine, finer"):
        models.config_for("pcinr", activation="relu")


def test_finer_layer_computes_its_equation_and_initialisation():
    torch.manual_seed(0)
    layer = FiLMLayer(2, 300, omega=30.0, first=False, activation="finer")
    x, gamma, beta = torch.randn(1, 5, 2), torch.randn(1, 1, 300), torch.randn(1, 1, 300)
    pre = x @ layer.linear.weight.T + layer.linear.bias
    expected = torch.sin((30.0 + gamma) * (pre.abs() + 1) * pre + beta)
    torch.testing.assert_close(layer(x, gamma, beta), expected)
    bias = layer.linear.bias
    assert bias.abs().max() <= 1 / math.sqrt(2) and bias.min() < 0 < bias.max()  # U(±1/√fan_in)
    first = FiLMLayer(1, 300, omega=1760.0, first=True, activation="finer")
    assert first.linear.bias.abs().max() <= activations.Finer.FIRST_BIAS
    assert first.linear.bias.abs().max() > 0.9 * activations.Finer.FIRST_BIAS


def test_finer_preset_is_the_paper_pcinr_with_another_activation():
    finer, pcinr = models.PRESETS["pcinr-finer"], models.PRESETS["pcinr"]
    assert dataclasses.replace(finer, activation="sine") == pcinr
    assert "| pcinr-finer | 328,960 | 463,362 | 792,322 |" in models.parameter_table()
    torch.manual_seed(0)
    model = models.build(dataclasses.replace(TINY, activation="finer"))
    out = model(torch.randn(2, 256), models.grid(400))
    assert out.shape == (2, 400) and torch.isfinite(out).all()


def test_finer_trains_from_the_cli_and_renders_at_any_rate(make_nsynth, tmp_path, monkeypatch):
    root = make_nsynth()
    run = tmp_path / "run"
    args = ["train", "--model", "pcinr-finer", "--recipe", "paper", "--data", str(root),
            "--items", "2", "--steps", "3", "--batch", "2", "--coords", "200",
            "--out", str(run)]  # fmt: skip
    assert main(args) == 0
    loaded = rendering.load_run(run)
    assert loaded.model_config.activation == "finer" and loaded.step == 3
    assert loaded.render([0], rate=32000).shape == (1, 32000)


class Cosine(activations.Activation):
    """A toy activation, ``σ = cos(s · x + β)``, added the way docs/extending.md says."""

    name, affine = "cosine", True

    def of_affine(self, u):
        return torch.cos(u)

    def forward(self, x, scale, shift):
        return torch.cos(scale * x + shift)

    def init_(self, linear, omega, first, init):
        activations.Sine().init_(linear, omega, first, init)


def test_a_new_activation_is_a_class_and_a_preset_end_to_end(make_nsynth, tmp_path, monkeypatch):
    """Registered, it trains from the CLI, renders, and exports as a synth that plays the same
    samples: the export scripts the activation's own module, nothing to add elsewhere."""
    monkeypatch.setitem(activations.ACTIVATIONS, "cosine", Cosine())
    preset = dataclasses.replace(models.PRESETS["pcinr"], activation="cosine")
    monkeypatch.setitem(models.PRESETS, "pcinr-cosine", preset)
    run = tmp_path / "run"
    args = ["train", "--model", "pcinr-cosine", "--data", str(make_nsynth()), "--items", "2",
            "--steps", "2", "--batch", "2", "--coords", "200", "--out", str(run)]  # fmt: skip
    assert main(args) == 0
    loaded = rendering.load_run(run)
    assert {type(layer.activation) for layer in loaded.model.layers} == {Cosine}
    synth = torchscript(loaded.model, loaded.latents)
    samples = loaded.model_config.samples
    torch.testing.assert_close(
        synth(loaded.latents[:2], 0, samples), loaded.render([0, 1]), atol=1e-5, rtol=0
    )


MODEL_MODULES = {"models.py", "pcinr.py", "parallel.py", "tcnn.py", "decoder.py", "activations.py",
                 "reference.py"}  # fmt: skip


def test_no_caller_dispatches_on_the_model_kind():
    """Outside the model modules, behaviour comes from the decoder's interface, not its kind."""
    package = Path(models.__file__).parent
    asks = re.compile(
        r"\.kind\b|kind ==|kind !=|\"tcnn\" in|\"pcinr\" in|isinstance\([^)]*(PCINR|TCNN)"
        r"|activation ==|activation !=|activation in\b"
    )
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name not in MODEL_MODULES
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if asks.search(line)
    ]
    assert offenders == []
