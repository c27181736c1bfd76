"""The explorer's plain functions, its widget panel, and shipped-model export and loading."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch

from cinr_lab import models, pretrained, runfolder, train, widgets
from cinr_lab.ops import ship


def test_latent_pca_directions_and_offsets(tiny_run):
    pca = widgets.latent_pca(tiny_run.latents, k=4)
    assert len(pca.std) == 3  # at most notes - 1 directions
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(3), atol=1e-9)
    assert np.all(np.diff(pca.explained) <= 0) and pca.explained.sum() <= 1 + 1e-9
    base = widgets.latent(tiny_run, 1)
    moved = widgets.latent(tiny_run, 1, pca=pca, offsets=[1.0, 0.0])
    coords = (moved.double() - base.double()).numpy() @ pca.components.T
    np.testing.assert_allclose(coords, [pca.std[0], 0, 0], atol=1e-5)
    with pytest.raises(ValueError, match="offsets"):
        widgets.latent(tiny_run, 1, offsets=[1.0])


def test_interpolation_ends_at_the_two_notes(tiny_run):
    a, b = tiny_run.latents[0], tiny_run.latents[2]
    torch.testing.assert_close(widgets.latent(tiny_run, 0, 2, 0.0), a)
    torch.testing.assert_close(widgets.latent(tiny_run, 0, 2, 1.0), b)
    torch.testing.assert_close(widgets.latent(tiny_run, 0, 2, 0.5), (a + b) / 2)


def test_synthesize_scales_omega_and_restores_it(tiny_run):
    model, z = tiny_run.model, tiny_run.latents[1]
    plain = widgets.synthesize(model, z)
    np.testing.assert_allclose(plain, tiny_run.render([1])[0].numpy(), atol=1e-6)
    faster = widgets.synthesize(model, z, first=2.0)
    assert not np.allclose(faster, plain, atol=1e-3)
    assert [layer.omega for layer in model.layers] == [1760.0, 245.0, 245.0]
    with pytest.raises(RuntimeError), widgets.scaled_omegas(model, 2.0, 2.0):
        assert model.layers[1].omega == 490.0
        raise RuntimeError
    assert [layer.omega for layer in model.layers] == [1760.0, 245.0, 245.0]
    tcnn = models.build(models.config_for("tcnn", tcnn_dim=1, tcnn_post_filter=16))
    with pytest.raises(ValueError, match="a TCNN has no scales"):
        widgets.synthesize(tcnn, torch.zeros(256), hidden=2.0)


def test_explorer_rerenders_on_every_control_and_saves_without_overwriting(tiny_run, tmp_path):
    explorer = widgets.Explorer({"tiny": tiny_run}, out=tmp_path / "saved", debounce=0)
    first = explorer.player.value
    assert first and explorer.truth_player.value
    explorer.pcs[0].value = 1.5
    after_pc = explorer.player.value
    assert after_pc != first
    explorer.omega_hidden.value = 1.04
    assert explorer.player.value != after_pc
    np.testing.assert_allclose(
        explorer.wave,
        widgets.synthesize(tiny_run.model, explorer.current_latent(), 1.0, 1.04),
        atol=1e-6,
    )
    after_omega = explorer.player.value
    explorer.mix.value = 0.5  # "towards note" starts on another note: the slider moves the sound
    assert explorer.other.value != explorer.note.value
    assert explorer.player.value != after_omega
    one, two = explorer.save(), explorer.save()
    assert one != two and one.exists() and two.exists()
    data, rate = soundfile.read(one)
    assert rate == 16000 and len(data) == len(explorer.wave)


def test_explorer_controls_start_where_they_mean_something(tiny_run):
    explorer = widgets.Explorer({"tiny": tiny_run}, debounce=0)
    assert explorer.other.value == widgets.default_other(4, explorer.note.value) != 0
    assert widgets.default_other(1, 0) == 0 and widgets.default_other(32, 20) == 4
    assert (explorer.omega_first.min, explorer.omega_first.max) == (-1.0, 1.0)  # log2: 0.5-2
    assert (explorer.omega_hidden.min, explorer.omega_hidden.max) == widgets.OMEGA_HIDDEN_RANGE
    assert explorer.omega_first.value == explorer.omega_hidden.value == 1.0


def test_explorer_plays_a_sound_of_your_own(tiny_run):
    explorer = widgets.Explorer({"tiny": tiny_run}, debounce=0)
    wave = 0.1 * np.sin(np.linspace(0, 300, tiny_run.model_config.samples)).astype(np.float32)
    z = train.encode(tiny_run.model, torch.from_numpy(wave), steps=5)
    index = explorer.add_sound("tiny", "my sound", z, wave)
    assert index == 4 and ("my sound", 4) in explorer.note.options
    explorer.note.value = index
    np.testing.assert_allclose(
        explorer.wave, widgets.synthesize(tiny_run.model, z), atol=1e-6
    )  # its own latent, rendered
    np.testing.assert_array_equal(explorer._truth_of("tiny")[index], wave)
    assert len(tiny_run.latents) == 4  # the run itself is untouched
    with pytest.raises(ValueError, match="latent of size"):
        explorer.add_sound("tiny", "wrong", torch.zeros(3), wave)


def test_waveplot_fits_a_quiet_note(tmp_path):
    from cinr_lab import plots

    quiet = 0.01 * np.sin(np.linspace(0, 100, 16000))
    ax = plots.waveplot(quiet)
    assert ax.get_ylim() == pytest.approx((-0.011, 0.011), rel=1e-3)
    assert plots.waveplot(quiet, limit=1.0).get_ylim() == (-1.0, 1.0)
    assert plots.waveplot(np.zeros(100)).get_ylim() == (-1e-3, 1e-3)


def test_export_keeps_what_rendering_needs(tiny_run, tmp_path, monkeypatch):
    out = ship.export(tiny_run.path, tmp_path / "models" / "tiny")
    assert (out / "checkpoint.pt").stat().st_size < (tiny_run.path / "checkpoint.pt").stat().st_size
    monkeypatch.setenv("CINR_MODELS", str(tmp_path / "models"))
    shipped = pretrained.load("tiny")
    torch.testing.assert_close(shipped.render(), tiny_run.render())
    assert shipped.notes == tiny_run.notes
    with pytest.raises(runfolder.RunError, match="exists"):
        ship.export(tiny_run.path, out)
    with pytest.raises(runfolder.RunError, match="cannot be resumed"):
        train.Trainer.resume(out)
    with pytest.raises(runfolder.RunError, match="available: tiny"):
        pretrained.load("nope")


def test_export_model_command(tiny_run, tmp_path, capsys):
    from cinr_lab.ops.cli import main

    out = tmp_path / "m"
    assert main(["export-model", str(tiny_run.path), "--out", str(out)]) == 0
    assert "weights and latents only" in capsys.readouterr().out
    assert main(["export-model", str(tiny_run.path), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["export-model", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 2
    assert "not a run folder" in capsys.readouterr().err
