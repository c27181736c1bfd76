"""The paper's own PCINRs, from the ``INR-collection`` 0.3 package its code imports.

Used to check that :mod:`cinr_lab.pcinr` is the paper's model (``tests/test_parity.py``) and that
the paper recipe trains as the paper's ``train.py`` does (``tools/training_parity.py``). The
package is a test dependency; nothing else in cinr_lab imports it.

:func:`paper_model` builds the network the paper's ``modules.get_decoder`` builds for a preset
(``piGAN`` for ``pcinr``, ``piGAN_custom`` for Wide and Deep) and copies a cinr_lab model's
weights into it, so both compute the same function from the same numbers.
"""

from __future__ import annotations

import contextlib
import io

import torch
from torch import Tensor, nn

from cinr_lab.models import ModelConfig


def _build(config: ModelConfig) -> nn.Module:
    import INR_collection

    kwargs = dict(
        num_mapping_layers=config.mapping_layers, num_INR_layers=config.layers,
        num_hidden_mapping=config.mapping_hidden, num_hidden_INR=config.hidden,
        z_size=config.latent_dim, first_omega_0=config.omega_first,
        hidden_omega_0=config.omega_hidden,
    )  # fmt: skip
    if config.weight_norm:  # piGAN: weight-normalised, mapping network trained
        return INR_collection.piGAN(1, 1, bias=True, **kwargs)
    with contextlib.redirect_stdout(io.StringIO()):  # piGAN_custom prints its layout
        return INR_collection.piGAN_custom(1, 1, bias=True, **kwargs)


def _key_map(model: nn.Module, paper: nn.Module) -> dict[str, str]:
    """cinr_lab parameter name → the paper model's parameter name."""
    mapping = "mapping_net" if hasattr(paper, "mapping_net") else "film_mapping_net"
    linears = [i for i, m in enumerate(model.mapping.net) if isinstance(m, nn.Linear)]
    keys = {}
    for ours, theirs in zip(linears + ["out"], linears + [2 * len(linears)], strict=True):
        src = f"mapping.net.{ours}" if ours != "out" else "mapping.out"
        for p in ("weight", "bias"):
            keys[f"{src}.{p}"] = f"{mapping}.net.{theirs}.{p}"
    sine = [f"layers.{i}.linear" for i in range(len(model.layers))] + ["head"]
    for i, src in enumerate(sine):
        dst = f"net.{i}.linear"
        keys[f"{src}.bias"] = f"{dst}.bias"
        if model.config.weight_norm:
            keys[f"{src}.parametrizations.weight.original0"] = f"{dst}.weight_g"
            keys[f"{src}.parametrizations.weight.original1"] = f"{dst}.weight_v"
        else:
            keys[f"{src}.weight"] = f"{dst}.weight"
    return keys


def paper_model(model: nn.Module) -> tuple[nn.Module, dict[str, str]]:
    """The paper's network for ``model``'s config, holding ``model``'s weights.

    Args:
        model: a cinr_lab PCINR built with ``init="paper"`` and shared FiLM.

    Returns:
        ``(paper_model, names)``; ``names`` maps each cinr_lab parameter name to the paper
        model's. Call the paper model as ``paper_model(t[B, K, 1], z[B, 1, latent])``.
    """
    config = model.config
    if config.kind != "pcinr" or config.film != "shared" or config.activation != "sine":
        raise ValueError("the paper's code builds sine PCINRs with one shared FiLM pair")
    paper = _build(config)
    names = _key_map(model, paper)
    theirs = dict(paper.named_parameters())
    with torch.no_grad():
        for src, value in model.named_parameters():
            theirs[names[src]].copy_(value)
    return paper, names


def paper_forward(paper: nn.Module, z: Tensor, t: Tensor) -> Tensor:
    """The paper model at ``t [B, K]`` for latents ``z [B, latent]`` → ``[B, K]``."""
    return paper(t.unsqueeze(-1), z.unsqueeze(1)).squeeze(-1)


def paper_training(
    paper: nn.Module,
    audio: Tensor,
    latents: Tensor,
    steps: int,
    batch: int,
    coords: int,
    lr: float = 1e-5,
    latent_lr: float = 0.3,
    deriv_weight: float = 1.0,
    plateau_epochs: int = 100,
    plan=None,
    log=None,
) -> Tensor:
    """The paper's ``train.py`` auto-decoder loop, restated for a check (not for use).

    Per batch: ``L`` = squared error summed over ``coords`` evenly spaced coordinates (random
    phase per note) plus the same on first differences, averaged over the batch;
    ``z ← z − latent_lr · ∇z L``; the plateau scheduler steps on ``L``; AdaBelief steps the INR
    and, where the model has one under that name, the mapping network. Batches are a shuffled
    pass over the notes (global torch RNG), as its ``DataLoader(shuffle=True)``.

    Args:
        paper: from :func:`paper_model`.
        audio: ``[notes, samples]`` targets.
        latents: ``[notes, latent]`` initial latents.
        steps, batch, coords, lr, latent_lr, deriv_weight, plateau_epochs: as in ``train.py``.
        plan: optional iterable of ``(note indices [B], sample indices [B, K])`` to use instead
            of drawing them (a test shares one with cinr_lab's trainer).
        log: optional ``callable(step, L)``.

    Returns:
        The final latents ``[notes, latent]``.
    """
    from adabelief_pytorch import AdaBelief

    def adabelief(params):
        return AdaBelief(params, lr=lr, eps=1e-16, betas=(0.9, 0.999), weight_decouple=False,
                         weight_decay=0, rectify=False, print_change_log=False)  # fmt: skip

    n, samples = audio.shape
    optim_inr = adabelief(paper.net.parameters())
    optim_mapping = (
        adabelief(paper.mapping_net.parameters()) if hasattr(paper, "mapping_net") else None
    )
    per_epoch = max(1, n // batch)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optim_inr, "min", patience=plateau_epochs * per_epoch, factor=0.95, threshold=1e-4,
        threshold_mode="rel", cooldown=1,
    )  # fmt: skip
    grid = torch.arange(samples, dtype=torch.float32) * (2.0 / samples) - 1.0
    all_z = latents.clone().unsqueeze(1)
    plan = iter(plan) if plan is not None else None
    step = 0
    while step < steps:
        order = torch.randperm(n)
        for j in range(0, n, batch):
            if step == steps:
                break
            if plan is not None:
                idx, cols = next(plan)
            else:
                idx, stride = order[j : j + batch], samples // coords
                cols = torch.stack(
                    [torch.arange(int(torch.randint(stride, (1,))), samples, stride) for _ in idx]
                )
            x = audio[idx].gather(1, cols)
            z = all_z[idx].clone().requires_grad_()
            g = paper(grid[cols].unsqueeze(-1), z).squeeze(-1)
            loss = (g - x).pow(2).sum(1).mean()
            if deriv_weight:
                loss = loss + deriv_weight * (g.diff(dim=1) - x.diff(dim=1)).pow(2).sum(1).mean()
            (grad,) = torch.autograd.grad(loss, [z], retain_graph=True)
            z_new = z - grad * latent_lr
            scheduler.step(loss)
            optim_inr.zero_grad()
            if optim_mapping:
                optim_mapping.zero_grad()
            loss.backward()
            optim_inr.step()
            if optim_mapping:
                optim_mapping.step()
            all_z[idx] = z_new.detach()
            step += 1
            if log:
                log(step, loss.item())
    return all_z[:, 0]
