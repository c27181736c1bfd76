"""Parity with the paper's code: cinr_lab's faithful PCINRs against the INR-collection 0.3 package.

The same weights loaded into both give the same outputs and the same gradients (to every trainable
parameter and to the latents) to float32 tolerance, at the paper's ω and sizes.
"""

from __future__ import annotations

import pytest
import torch

from cinr_lab import decoder, models
from cinr_lab.ops import reference
from cinr_lab.pcinr import FiLMLayer


@pytest.fixture(autouse=True)
def plain_film(monkeypatch):
    """Compare the paper's operations with ours done in the same order: FiLMLayer's folded scale
    is the same function rounded otherwise (held to float64 in tests/test_models.py)."""
    monkeypatch.setattr(FiLMLayer, "fold", False)


def _pair(name: str, seed: int = 0):
    torch.manual_seed(seed)
    ours = models.build(models.PRESETS[name])
    paper, names = reference.paper_model(ours)
    return ours, paper, names


@pytest.mark.parametrize("name", ["pcinr", "pcinr-wide", "pcinr-deep"])
def test_same_weights_same_outputs_and_gradients(name):
    ours, paper, names = _pair(name)
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(3, 256, generator=gen) * 0.3
    t = models.grid(16000)[torch.randint(16000, (3, 500), generator=gen)]
    target = torch.randn(3, 500, generator=gen) * 0.1

    z_ours, z_paper = z.clone().requires_grad_(), z.clone().requires_grad_()
    out_ours, out_paper = ours(z_ours, t), reference.paper_forward(paper, z_paper, t)
    assert out_ours.abs().max() > 1e-3  # not a trivially silent network
    torch.testing.assert_close(out_ours, out_paper, rtol=1e-4, atol=1e-5)

    (out_ours - target).pow(2).sum().backward()
    (out_paper - target).pow(2).sum().backward()
    torch.testing.assert_close(z_ours.grad, z_paper.grad, rtol=1e-3, atol=1e-6)
    theirs = dict(paper.named_parameters())
    trainable = [(n, p) for n, p in ours.named_parameters() if p.requires_grad]
    assert len(trainable) >= 2 * (ours.config.layers + 1)
    for n, p in trainable:
        g = theirs[names[n]].grad
        scale = g.abs().max().clamp_min(1e-12)
        torch.testing.assert_close(p.grad / scale, g / scale, rtol=1e-3, atol=1e-4, msg=n)


def test_paper_pcinr_is_weight_normalised_and_its_wide_is_not():
    _, paper, names = _pair("pcinr")
    assert "net.0.linear.weight_g" in dict(paper.named_parameters())
    _, wide, _ = _pair("pcinr-wide")
    assert hasattr(wide, "film_mapping_net")  # the name the paper's get_optim never looks for
    assert not hasattr(wide, "mapping_net")


def test_changed_weights_break_parity():
    """The check can fail: one perturbed weight in the copy changes the output."""
    ours, paper, names = _pair("pcinr")
    with torch.no_grad():
        dict(paper.named_parameters())[names["layers.3.linear.bias"]][0] += 0.5
    z, t = torch.randn(2, 256) * 0.3, models.grid(16000)[:400]
    assert not torch.allclose(ours(z, t), reference.paper_forward(paper, z, t), atol=1e-4)


@pytest.mark.parametrize("name", ["pcinr", "pcinr-wide"])
def test_initialisation_draws_like_the_paper_codes(name):
    """Fresh inits, each drawn by its own code: every tensor's mean and spread agree."""
    torch.manual_seed(0)
    ours = models.build(models.PRESETS[name])
    torch.manual_seed(1)
    paper = reference._build(ours.config)
    theirs = dict(paper.named_parameters())
    for n, p in ours.named_parameters():
        q = theirs[reference._key_map(ours, paper)[n]]
        assert p.shape == q.shape, n
        if p.numel() < 100:
            continue
        rel = max(0.02, 3 / p.numel() ** 0.5)  # a few standard errors of a sample's spread
        assert p.std().item() == pytest.approx(q.std().item(), rel=rel), n
        spread = 4 * q.std().item() * (2 / p.numel()) ** 0.5  # 4 σ of a difference of means
        assert abs(p.mean().item() - q.mean().item()) <= spread + 1e-6, n


def test_paper_recipe_trains_as_the_papers_loop(make_nsynth, tmp_path, monkeypatch):
    """cinr_lab's recipe="paper" and the paper's train.py loop (restated in
    cinr_lab.ops.reference), from the same weights, latents, batches and coordinates, take the same
    steps: per-step losses and the final latents agree."""
    from cinr_lab import recipes, runfolder, train

    config = recipes.recipe(
        "paper", model="pcinr", set=None, data=str(make_nsynth()), items=6, steps=12, batch=3,
        coords=250, lr=1e-3, seed=0,
    )  # fmt: skip
    small = models.config_for("pcinr", hidden=32, layers=3, mapping_hidden=32)
    trainer = train.Trainer.create(tmp_path / "r", config, small)
    paper, names = reference.paper_model(trainer.model)
    start = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    audio, z0 = trainer.audio.clone(), trainer.latents.detach().clone()

    plan, coordinates = [], decoder.strided_indices

    def recording(*args):
        cols = coordinates(*args)
        plan.append(cols)
        return cols

    monkeypatch.setattr(decoder, "strided_indices", recording)
    notes, batch_notes = [], trainer.batch_notes
    monkeypatch.setattr(trainer, "batch_notes", lambda: notes.append(batch_notes()) or notes[-1])
    trainer.fit(progress=False)
    ours = runfolder.loss_curve(trainer.path)["loss"]

    theirs = []
    z = reference.paper_training(
        paper, audio, z0, steps=12, batch=3, coords=250, lr=1e-3,
        plan=zip(notes, plan, strict=True), log=lambda step, loss: theirs.append(loss),
    )  # fmt: skip
    assert len({tuple(n.tolist()) for n in notes}) > 1  # epochs reshuffle
    torch.testing.assert_close(
        torch.tensor(ours), torch.tensor(theirs, dtype=torch.float64), rtol=1e-3, atol=0
    )
    torch.testing.assert_close(trainer.latents.detach(), z, rtol=1e-3, atol=1e-6)
    assert (trainer.latents.detach() - z0).abs().max() > 1e-3  # the latents moved
    theirs_now = dict(paper.named_parameters())
    for name, p in trainer.model.named_parameters():
        moved = (p.detach() - start[name]).abs().max()
        assert moved > 1e-5, name  # every trained tensor moved, both the same way
        torch.testing.assert_close(p.detach(), theirs_now[names[name]].detach(), rtol=1e-3,
                                   atol=1e-3 * moved.item(), msg=name)  # fmt: skip
