"""High-frequency error, stationary-point density and super-resolution (cinr_lab.analysis)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from cinr_lab import analysis, models, recipes, rendering

RATE = 16000
TINY = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16, samples=1600)


def tone(freq, amp=1.0, n=RATE, rate=RATE):
    return amp * np.sin(2 * np.pi * freq * np.arange(n) / rate)


def test_band_energy_is_parseval_and_puts_a_tone_in_its_octave():
    rng = np.random.default_rng(0)
    wave = rng.normal(size=(3, 4000))
    bands = analysis.band_energy(wave, RATE)
    np.testing.assert_allclose(bands.sum(-1), (wave**2).sum(-1), rtol=1e-10)
    bands = analysis.band_energy(tone(1500), RATE)
    assert bands.argmax() == analysis.OCTAVE_EDGES.index(1000.0)
    assert bands.max() / bands.sum() > 0.999


def test_hf_excess_of_an_added_tone_is_its_power_ratio():
    truth = np.stack([tone(440), tone(220, 0.5)])
    recon = truth + tone(6000, 0.1)
    np.testing.assert_allclose(analysis.hf_excess(truth, recon), [0.01, 0.04], rtol=1e-6)
    assert np.all(analysis.hf_excess(truth, truth) == 0)
    # Missing real high partials is a negative excess (muffle), not hiss.
    bright = truth + tone(5000, 0.2)
    np.testing.assert_allclose(
        analysis.hf_excess(bright, truth), -0.02 * RATE / (bright**2).sum(-1), rtol=1e-6
    )


def test_band_error_is_relative_to_the_truth_in_each_band():
    truth = np.stack([tone(300) + tone(5000, 0.01)])
    recon = truth + tone(300, 0.1) + tone(5000, 0.01)
    err = analysis.band_error(truth, recon)
    edges = analysis.OCTAVE_EDGES
    np.testing.assert_allclose(err[edges.index(250.0)], 0.01, rtol=1e-4)
    np.testing.assert_allclose(err[edges.index(4000.0)], 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match=r"\[notes, samples\]"):
        analysis.band_error(truth, recon[:, :100])


@pytest.mark.parametrize("omega,slope,bias", [(30, 1.0, 0.0), (245, 0.3, 0.2), (1760, -0.05, 0.7)])
def test_single_sine_unit_counts_match_the_phase_estimate(omega, slope, bias):
    t = models.grid(RATE, 8)
    measured, analytic = analysis.phase_density(analysis.sine_chain([omega], [slope], [bias]), t)
    # sin(ω(s t + b)) has exactly ω|s|/π stationary points per unit of t, up to one at the ends.
    np.testing.assert_allclose(analytic, omega * abs(slope) / math.pi, rtol=1e-5)
    assert abs(measured[0] - analytic[0]) <= 1 / 2 + 1e-9


def test_two_layer_chain_adds_the_first_layers_stationary_points():
    t = models.grid(RATE, 8)
    omegas, slopes = [30.0, 60.0], [1.0, 1.0]
    measured, analytic = analysis.phase_density(analysis.sine_chain(omegas, slopes), t)
    # a2' = cos(u2)·ω2·a1': zero where cos(u2) is (the phase estimate of layer 2) or a1' is.
    assert measured[1] > analytic[1] > 10 * measured[0]
    np.testing.assert_allclose(measured[1], analytic[1] + measured[0], rtol=0.02)
    # Larger ω in either layer multiplies the second layer's stationary points.
    more, _ = analysis.phase_density(analysis.sine_chain([60.0, 60.0], slopes), t)
    assert more[1] > 1.8 * measured[1]


def test_counts_do_not_depend_on_the_chunking():
    t = models.grid(RATE, 8)
    fn = analysis.sine_chain([200.0, 30.0], [1.0, 0.7], [0.1, -0.3])
    whole = analysis.phase_density(fn, t, chunk=len(t))
    parts = analysis.phase_density(fn, t, chunk=997)
    np.testing.assert_array_equal(whole[0], parts[0])
    np.testing.assert_allclose(whole[1], parts[1], rtol=1e-5)


# FINER's units turn about 3× as often as the sine's: a denser grid keeps them resolved.
@pytest.mark.parametrize(("activation", "rate"), [("sine", 16), ("finer", 64)])
def test_model_stationary_points_match_a_finite_difference_count(activation, rate):
    """The analysis traces the model's own layers: the count agrees with the model's forward
    pass for a non-sine activation too."""
    torch.manual_seed(0)
    model = models.build(dataclasses.replace(TINY, activation=activation)).eval()
    z = torch.randn(TINY.latent_dim) * 0.1
    sp = analysis.stationary_points(model, z, rate_factor=rate)
    assert not sp.saturated.any()
    assert sp.measured.shape == sp.analytic.shape == sp.omega.shape == (3, 16)
    gamma, _ = model.mapping(z[None])
    np.testing.assert_allclose(sp.omega[1], 245.0 + gamma[0].detach().numpy(), rtol=1e-6)
    # Brute force: sign changes of the difference of each unit's activation on the same grid.
    t = models.grid(TINY.samples, rate)
    with torch.no_grad():
        _, hidden = model(z[None], t, return_hidden=True)
    a = torch.stack(hidden)[:, 0].numpy()  # [layers, K, units]
    diffs = np.diff(a, axis=1)
    brute = (np.signbit(diffs[:, 1:]) != np.signbit(diffs[:, :-1])).sum(1) / 2.0
    # The difference sits half a step off the derivative and merges extrema closer than a step.
    assert np.all(np.abs(sp.measured - brute) <= 0.01 * brute + 1)
    assert sp.measured.sum() > 0
    with pytest.raises(ValueError, match="rate_factor"):
        analysis.stationary_points(model, z, rate_factor=2)


def test_stationary_points_refuse_a_tcnn():
    tcnn = models.build(models.config_for("tcnn", tcnn_dim=1, tcnn_post_filter=16))
    with pytest.raises(ValueError, match="a TCNN has no units along time"):
        analysis.stationary_points(tcnn, torch.zeros(256))


def test_superres_renders_every_rate_and_resampling_adds_nothing_above_nyquist():
    torch.manual_seed(0)
    model = models.build(TINY).eval()
    run = rendering.Run(None, model, torch.randn(2, TINY.latent_dim) * 0.1, ["a", "b"], TINY,
                    recipes.recipe("v0"), 0)  # fmt: skip
    waves = analysis.superres(run, 1, factors=(2, 4))
    assert {r: len(w) for r, w in waves.items()} == {16000: 1600, 32000: 3200, 64000: 6400}
    # The 2x render passes through the 1x one at every other sample: one continuous function.
    np.testing.assert_allclose(waves[32000][::2], waves[16000], atol=1e-5)
    truth = tone(440, n=1600) + tone(7000, 0.1, n=1600)
    up = analysis.resample(truth, RATE, 4 * RATE)
    assert analysis.energy_above(up, 4 * RATE, RATE / 2) < 1e-4
    assert analysis.energy_above(tone(12000, n=6400, rate=64000), 64000) > 0.999


def test_between_harmonics_counts_added_noise_not_the_partials():
    """A reconstruction off only at its harmonics' amplitudes scores near 0 between them; one
    with noise added scores the noise's share there, whatever it misses at the harmonics."""
    rate, n = 16000, 16000
    t = np.arange(n) / rate
    f0 = analysis.midi_hz(60)
    truth = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))[None]
    quieter = 0.5 * truth  # misses half of every partial: error only at the harmonics
    assert analysis.between_harmonics(truth, quieter, [f0])[0] < 1e-3  # leakage of 1-s bins
    noise = 0.2 * np.random.default_rng(0).standard_normal((1, n))
    noisy = analysis.between_harmonics(truth, quieter + noise, [f0])[0]
    share = 0.5 * (noise**2).sum() / (truth**2).sum()  # half the bins lie between harmonics
    assert noisy == pytest.approx(share, rel=0.1)
    above = analysis.between_harmonics(truth, quieter + noise, [f0], cutoff=4000.0)[0]
    assert above == pytest.approx(noisy / 2, rel=0.1)  # 4-8 kHz is half the band
    assert list(analysis.pitches(["keyboard_acoustic_004-060-100", "a_b_1-127-025"])) == [60, 127]
    with pytest.raises(ValueError, match="one positive frequency per note"):
        analysis.between_harmonics(truth, noisy * truth, [0.0])


def test_yardsticks_are_what_a_set_holds_on_its_own():
    """A harmonic note below 4 kHz holds nothing above it nor between its harmonics; noise
    holds half its energy above 4 kHz; silence's MSE is the notes' summed square."""
    rate = 16000
    t = np.arange(rate) / rate
    f0 = analysis.midi_hz(60)  # 262 Hz: partials up to 1.8 kHz
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
    noise = 0.1 * np.random.default_rng(0).standard_normal(rate)
    notes = np.stack([tone, noise]).astype(np.float32)
    names = ["keyboard_acoustic_004-060-100", "keyboard_acoustic_004-060-100"]
    one = analysis.yardsticks(notes[:1], names[:1])
    assert one["own"] < 1e-4 and one["between"] < 1e-3
    assert one["silence"] == pytest.approx(float((tone**2).sum()), rel=1e-5)
    assert analysis.energy_above(notes[1:], rate, analysis.HF_CUTOFF)[0] == pytest.approx(
        0.5, abs=0.02
    )
    both = analysis.yardsticks(notes, names)  # medians over the two notes
    assert both["own"] == pytest.approx(0.25, abs=0.02)
