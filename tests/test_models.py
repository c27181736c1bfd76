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
    # 8 × 256 SIREN, shared FiLM, mapping 3 × 256; weight norm adds one g per sine/output unit
    assert counts["pcinr-v0"] == 790_273
    assert counts["pcinr"] == 790_273 + 8 * 256 + 1
    assert counts["tcnn"] == counts["tcnn-v0"] + 1  # the paper's post-filter has a bias
    table = models.parameter_table()
    assert "| pcinr-wide | 384,986 | 401,866 | 786,852 |" in table


def test_siren_initialisation_bounds():
    torch.manual_seed(0)
    model = models.build(models.PRESETS["pcinr"])
    first, hidden = model.layers[0].linear.weight, model.layers[1].linear.weight
    assert first.abs().max() <= 1.0 and first.abs().max() > 0.9  # U(-1/fan_in, 1/fan_in), fan_in 1
    bound = math.sqrt(6 / 256) / 245
    assert hidden.abs().max() <= bound and hidden.abs().max() > 0.95 * bound


def test_paper_initialisation_rules():
    torch.manual_seed(0)
    model = models.build(models.PRESETS["pcinr"])
    biases = torch.cat([layer.linear.bias for layer in model.layers])
    assert biases.min() >= 0 and biases.max() <= 2 * math.pi and biases.max() > 6.0  # U(0, 2π)
    head = model.head.weight  # weight norm recomposes g · V/‖V‖ = the drawn weight at init
    bound = math.sqrt(6 / 256) / 30  # the paper's fixed ω = 30, not ω_hidden
    assert head.abs().max() <= bound and head.abs().max() > 0.9 * bound
    first = model.mapping.net[0].weight  # Kaiming normal, fan_in 256, a = 0.2
    gain = math.sqrt(2 / (1 + 0.2**2))
    assert first.std().item() == pytest.approx(gain / math.sqrt(256), rel=0.02)
    v0 = models.build(models.PRESETS["pcinr-v0"])
    assert v0.mapping.net[0].weight.abs().max() <= 1 / math.sqrt(256)  # PyTorch's default


def test_weight_norm_and_frozen_mapping():
    torch.manual_seed(0)
    pcinr, wide = (models.build(models.PRESETS[n]) for n in ("pcinr", "pcinr-wide"))
    names = dict(pcinr.named_parameters())
    assert "layers.0.linear.parametrizations.weight.original0" in names  # g
    assert "head.parametrizations.weight.original1" in names  # V
    assert not any("parametrizations" in n for n, _ in wide.named_parameters())
    assert not any(p.requires_grad for p in wide.mapping.parameters())
    assert wide.parameter_groups()["mapping"] == []
    mapped = models.build(models.PRESETS["pcinr-wide-mapped"])
    assert all(p.requires_grad for p in mapped.mapping.parameters())
    z = torch.randn(2, 256, requires_grad=True)  # a frozen mapping still passes gradients to z
    wide(z, models.grid(64)).sum().backward()
    assert z.grad.abs().sum() > 0


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


@pytest.mark.parametrize("name", ["tcnn", "tcnn-transposed", "tcnn-v0"])
def test_tcnn_renders_only_its_grid(name):
    torch.manual_seed(0)
    model = models.build(models.PRESETS[name])
    assert model.length == 16384
    assert model(torch.randn(2, 256)).shape == (2, 16000)
    with pytest.raises(ValueError, match="renders only its native grid"):
        model(torch.randn(2, 256), models.grid(16000))


def test_tcnn_structure_is_the_paper_codes():
    """The paper's WaveGAN (upsample=True): nearest ×4 then Conv1d(k=25, pad 12) per stage."""
    model = models.build(models.PRESETS["tcnn"])
    convs = [stage.conv for stage in model.convs]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (128, 64), (64, 32), (32, 16), (16, 8), (8, 1)
    ]  # fmt: skip
    assert all(c.kernel_size == (25,) and c.stride == (1,) and c.padding == (12,) for c in convs)
    assert model.post.kernel_size == (512,) and model.post.bias is not None
    x = torch.arange(6.0).view(1, 1, 6)
    torch.testing.assert_close(
        torch.nn.functional.interpolate(x, scale_factor=4, mode="nearest")[0, 0, :8],
        torch.tensor([0.0, 0, 0, 0, 1, 1, 1, 1]),
    )


def test_tcnn_known_value_post_filter_before_crop():
    """A hand-set generator: dense → constant, every conv an averaging tap, post-filter = the
    tap 256 samples to the left (pad 256 left / 255 right over all 16384 samples, then crop)."""
    config = models.config_for("tcnn", tcnn_dim=1)
    model = models.build(config)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.dense.bias.fill_(1.0)  # x = relu(1) everywhere
        for stage in model.convs:
            stage.conv.weight[:, :, 12] = 1.0 / stage.conv.in_channels  # centre tap: mean
        model.post.weight[0, 0, 0] = 1.0  # output[i] = tanh-output[i - 256]
        model.post.bias.fill_(0.5)
    out = model(torch.zeros(1, 256))[0]
    inner = math.tanh(1.0)
    torch.testing.assert_close(out[:256], torch.full((256,), 0.5))  # zero padding + bias
    torch.testing.assert_close(out[256:], torch.full((16000 - 256,), inner + 0.5))


def test_grid_spans_the_clip_and_refines():
    t = models.grid(16000)
    assert t[0] == -1 and t[-1] == pytest.approx(1 - 2 / 16000)
    fine = models.grid(16000, 2.0)
    assert fine.shape == (32000,)
    torch.testing.assert_close(fine[::2], t)  # a denser grid contains the training grid


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown model 'pcinx'"):
        models.config_for("pcinx")
    with pytest.raises(ValueError, match="film: must be one of"):
        models.config_for("pcinr", film="every")


@pytest.mark.parametrize(
    "name,overrides",
    [("pcinr", {}), ("pcinr", {"film": "per-layer"}), ("pcinr-gauss", {}),
     ("pcinr-parallel", {"layers": 2}), ("pcinr-shift", {})],
)  # fmt: skip
def test_folded_film_is_as_accurate_as_the_plain_one(name, overrides, monkeypatch):
    """Folding s = ω + γ into the weights computes the same function: against the model in
    float64, its float32 outputs and gradients err as the plain path's do (phases of 1e3-1e4
    make float32 err by 1e-4-1e-3 either way; a wrong fold errs by order 1)."""
    from cinr_lab.pcinr import FiLMLayer

    torch.manual_seed(0)
    config = models.config_for(name, hidden=64, mapping_hidden=64, **overrides)
    model = models.build(config)
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(3, config.latent_dim, generator=gen) * 0.3
    t = models.grid(16000)[torch.randint(16000, (3, 400), generator=gen)]

    def run(fold: bool, dtype):
        monkeypatch.setattr(FiLMLayer, "fold", fold)
        m = model.to(dtype)
        zz = z.to(dtype).requires_grad_()
        out = m(zz, t.to(dtype))
        grads = torch.autograd.grad(out.square().sum(), [zz, *m.parameters()], allow_unused=True)
        m.float()
        return [out.detach().double()] + [g.double() for g in grads if g is not None]

    truth, plain, folded = (
        run(False, torch.float64),
        run(False, torch.float32),
        run(True, torch.float32),
    )
    assert any(not torch.equal(p, f) for p, f in zip(plain, folded, strict=True))  # it did fold
    checked = 0
    for ref, p, f in zip(truth, plain, folded, strict=True):
        scale = ref.abs().max()
        plain_err, folded_err = (p - ref).abs().max() / scale, (f - ref).abs().max() / scale
        if scale < 1e-9:  # a gradient zero in exact arithmetic (a first layer's 1-wide V)
            continue
        assert folded_err <= 3 * plain_err + 1e-4, (float(folded_err), float(plain_err))
        checked += 1
    assert checked >= len(truth) - config.branches
