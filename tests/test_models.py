"""Decoders: the paper's equal parameter counts, SIREN initialisation, FiLM, shapes, gradients."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from cinr_lab import models
from cinr_lab.pcinr import FiLMSine

TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16, samples=400)


def test_named_models_have_equal_parameter_counts():
    counts = {
        n: models.parameter_counts(models.build(c))["total"] for n, c in models.PRESETS.items()
    }
    for name, total in counts.items():
        assert abs(total / counts["pcinr"] - 1) < 0.05, (name, total)
    assert counts["pcinr"] == 790_273  # 8 × 256 SIREN, shared FiLM, mapping 3 × 256
    table = models.parameter_table()
    assert "| pcinr-wide | 384,986 | 401,866 | 786,852 |" in table


def test_siren_initialisation_bounds():
    torch.manual_seed(0)
    model = models.build(models.PRESETS["pcinr"])
    first, hidden = model.layers[0].linear.weight, model.layers[1].linear.weight
    assert first.abs().max() <= 1.0 and first.abs().max() > 0.9  # U(-1/fan_in, 1/fan_in), fan_in 1
    bound = math.sqrt(6 / 256) / 245
    assert hidden.abs().max() <= bound and hidden.abs().max() > 0.95 * bound


def test_film_sine_computes_its_equation():
    layer = FiLMSine(2, 3, omega=30.0, first=False)
    x, gamma, beta = torch.randn(1, 5, 2), torch.randn(1, 1, 3), torch.randn(1, 1, 3)
    expected = torch.sin((30.0 + gamma) * (x @ layer.linear.weight.T + layer.linear.bias) + beta)
    torch.testing.assert_close(layer(x, gamma, beta), expected)


def test_pcinr_shapes_gradients_and_conditioning():
    torch.manual_seed(0)
    model = models.build(TINY)
    z = torch.randn(3, 256, requires_grad=True)
    t = models.grid(400)
    out = model(z, t)
    assert out.shape == (3, 400)
    assert model(z, t.expand(3, -1)).allclose(out)  # [K] broadcasts like [B, K]
    assert not torch.allclose(out[0], out[1])  # different latents, different sounds
    out.pow(2).sum().backward()
    assert z.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters())


def test_per_layer_film_modulates_each_layer():
    shared = models.build(TINY)
    per_layer = models.build(dataclasses.replace(TINY, film="per-layer"))
    extra = (
        models.parameter_counts(per_layer)["mapping"] - models.parameter_counts(shared)["mapping"]
    )
    assert extra == 2 * 16 * (TINY.layers - 1) * (16 + 1)
    gammas = [g for g, _ in per_layer.modulation(torch.randn(1, 256))]
    assert not torch.allclose(gammas[0], gammas[1])


def test_tcnn_renders_only_its_grid():
    torch.manual_seed(0)
    model = models.build(models.PRESETS["tcnn"])
    assert model.length == 16384
    assert model(torch.randn(2, 256)).shape == (2, 16000)
    with pytest.raises(ValueError, match="renders only its native grid"):
        model(torch.randn(2, 256), models.grid(16000))


def test_grid_spans_the_clip_and_refines():
    t = models.grid(16000)
    assert t[0] == -1 and t[-1] == pytest.approx(1 - 2 / 16000)
    fine = models.grid(16000, 2.0)
    assert fine.shape == (32000,)
    torch.testing.assert_close(fine[::2], t)  # a denser grid contains the training grid


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown model 'pcinx'"):
        models.config_for("pcinx")
    with pytest.raises(ValueError, match="film must be"):
        models.config_for("pcinr", film="every")
