"""Figures: levels and layout that the notebooks' readings rely on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cinr_lab import analysis, plots  # noqa: E402


def sine(freq, rate=16000, seconds=1.0, amp=1.0):
    return amp * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_full_scale_sine_is_0_dbfs():
    db = plots.spectrogram_db(sine(1000))
    assert db.max() == pytest.approx(0.0, abs=0.1)


def test_spectrogram_grid_error_row_is_silent_for_a_perfect_reconstruction():
    truth = np.stack([sine(440, amp=0.5), sine(880, amp=0.5)])
    fig = plots.spectrogram_grid(truth, {"perfect": truth, "loud": 2 * truth}, ["a", "b"])
    axes = np.array(fig.axes[:-1]).reshape(4, 3)  # the last axes is the colour bar
    perfect_error = axes[1, 1].collections[0].get_array()
    assert perfect_error.min() == perfect_error.max() == -80.0
    loud_error = axes[1, 2].collections[0].get_array()  # error = truth: as loud as it
    truth_panel = axes[0, 0].collections[0].get_array()
    np.testing.assert_allclose(loud_error, truth_panel, atol=1e-3)
    assert axes[1, 2].get_title() == "loud: error"


def test_spectrum_levels_do_not_depend_on_the_rate():
    ax = plots.spectrum(
        {"16k": (sine(1000, amp=0.5), 16000), "64k": (sine(1000, 64000, amp=0.5), 64000)}
    )
    peaks = [line.get_ydata().max() for line in ax.get_lines()[:2]]
    assert peaks[0] == pytest.approx(peaks[1], abs=0.5)
    assert peaks[0] == pytest.approx(20 * np.log10(0.5), abs=1.5)


def test_band_bars_are_in_db():
    ax = plots.band_bars({"m": np.array([1.0, 10.0, 0.1])}, (0, 1, 2, 3))
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.0, 10.0, -10.0])


def test_density_by_layer_draws_each_models_median_per_layer():
    density = np.array([[1.0, 2.0, 3.0, 100.0], [10.0, 20.0, 30.0, 40.0]])
    ax = plots.density_by_layer({"a": density, "b": np.full((1, 5), 50.0)})
    a, b, nyquist = ax.get_lines()
    assert list(a.get_xdata()) == [1, 2] and list(a.get_ydata()) == [2.5, 25.0]
    assert list(b.get_ydata()) == [50.0] and list(nyquist.get_ydata()) == [8000, 8000]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "layer"


def test_density_vs_phase_puts_a_lone_sine_on_the_diagonal():
    t = analysis.models.grid(1600, 8)
    measured, analytic = analysis.phase_density(analysis.sine_chain([30.0], [1.0]), t)
    stationary = analysis.Stationary(measured[:, None], analytic[:, None],
                                     np.full((1, 1), 30.0), 2.0, len(t))  # fmt: skip
    ax = plots.density_vs_phase(stationary, title="one unit")
    (x, y), *_ = ax.collections[0].get_offsets()
    assert y == pytest.approx(x, abs=0.5)  # counted = estimated within one point
    assert ax.get_title() == "one unit"


def test_figures_are_saved_fit_to_print(tmp_path):
    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 1))
    path = plots.save(fig, tmp_path / "f.png")
    plt.close(fig)
    with Image.open(path) as image:
        assert image.size == (400, 200)  # 200 dpi


def test_spectrograms_have_no_blank_margins():
    wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    ax = plots.specplot(wave)
    mesh = ax.collections[0].get_coordinates()
    low, high = ax.get_xlim()
    assert mesh[..., 0].min() <= low and mesh[..., 0].max() >= high  # drawn edge to edge
    assert low == pytest.approx(0.032) and high == pytest.approx(0.968, abs=0.01)
    assert ax.get_ylabel() == "frequency (Hz)" and ax.get_xlabel() == "time (s)"
    plt.close(ax.figure)
