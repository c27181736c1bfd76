"""Variants beyond the paper (issue 13), each at the paper's size through the shared paths.

The parallel sub-network PCINR: the PCINR's function with one branch, branches that add up.
Shift-only modulation from a linear map of z (functa): no frequency modulation, β linear in z.
Gaussian hidden layers behind a sine first layer. BACON's band limit: nothing above 8 kHz.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from cinr_lab import analysis, checks, models, recipes, rendering, runfolder, train

TINY = models.config_for("pcinr-parallel", hidden=16, layers=2, mapping_hidden=16, branches=3)


@pytest.mark.parametrize("name", ["pcinr-parallel", "pcinr-shift", "pcinr-gauss", "bacon"])
def test_the_preset_has_the_papers_size(name):
    sizes = {
        n: models.parameter_counts(models.build(models.PRESETS[n]))["total"]
        for n in ("pcinr", name)
    }
    assert abs(sizes[name] / sizes["pcinr"] - 1) < 0.05


def test_the_parallel_preset():
    preset = models.PRESETS["pcinr-parallel"]
    assert (preset.kind, preset.branches, preset.layers) == ("parallel", 4, 3)


def test_one_branch_is_the_pcinr():
    """Same fields, one branch: the same parameters under the same names, the same function."""
    config = models.config_for("pcinr", hidden=16, layers=3, mapping_hidden=16)
    torch.manual_seed(0)
    pcinr = models.build(config)
    parallel = models.build(dataclasses.replace(config, kind="parallel"))
    parallel.load_state_dict(pcinr.state_dict())  # strict: the same names and shapes
    z, t = torch.randn(2, config.latent_dim), models.grid(400)
    torch.testing.assert_close(parallel(z, t), pcinr(z, t), rtol=0, atol=1e-6)


def test_branches_add_up():
    """The output is the sum over branches of each branch's head on its own last layer."""
    torch.manual_seed(0)
    model = models.build(TINY)
    z, t = torch.randn(2, TINY.latent_dim), models.grid(300)
    out, hidden = model(z, t, return_hidden=True)
    assert len(hidden) == TINY.branches * TINY.layers
    last = [hidden[(p + 1) * TINY.layers - 1] for p in range(TINY.branches)]
    w = model.head.weight.reshape(TINY.branches, TINY.hidden)
    by_branch = sum(last[p] @ w[p] for p in range(TINY.branches)) + model.head.bias
    torch.testing.assert_close(out, by_branch, rtol=1e-5, atol=1e-6)
    # Each branch has its own FiLM pair: changing one branch's β changes only its units.
    gammas, betas = zip(*model.modulation(z), strict=True)
    assert not torch.equal(betas[0], betas[TINY.layers])


def test_analysis_and_scaling_see_every_branch():
    torch.manual_seed(0)
    model = models.build(TINY)
    z = torch.randn(1, TINY.latent_dim)
    points = analysis.stationary_points(model, z[0])
    assert points.measured.shape == (TINY.layers, TINY.branches * TINY.hidden)
    assert np.isfinite(points.analytic).all()
    firsts = [layer for layer in model.scales() if layer.first]
    assert len(firsts) == TINY.branches
    with model.scaled(first=2.0, hidden=0.5):
        assert all(layer.omega == 2.0 * TINY.omega_first for layer in firsts)
        assert all(layer.omega == 0.5 * TINY.omega_hidden for layer in model.scales()
                   if not layer.first)  # fmt: skip
    assert all(layer.omega == TINY.omega_first for layer in firsts)


def test_it_trains_and_resumes_as_any_decoder(make_nsynth, tmp_path):
    kw = dict(model="pcinr-parallel", set=None, data=str(make_nsynth()), items=4, steps=80,
              seconds=0.05, coords=800, batch=4, lr=1e-3, latent_lr=1e-2, stft_weight=0.0,
              checkpoint_every=40)  # fmt: skip
    config = recipes.recipe("v0", **kw)
    learnable = dataclasses.replace(TINY, hidden=32, omega_first=300, omega_hidden=30)
    run = train.Trainer.create(tmp_path / "r", config, learnable).fit(progress=False)
    mse = runfolder.loss_curve(run)["mse"]
    assert np.mean(mse[-5:]) < 0.5 * mse[0]
    loaded = rendering.load_run(run)
    assert isinstance(loaded.model, type(models.build(TINY))) and loaded.step == 80


def test_branches_belong_to_parallel_models():
    with pytest.raises(checks.ConfigError, match="only a 'parallel' model has branches"):
        models.config_for("pcinr", branches=2)


def test_shift_modulation_is_linear_in_z_and_leaves_the_frequencies():
    config = models.config_for("pcinr-shift", hidden=16, layers=3)
    torch.manual_seed(0)
    model = models.build(config)
    assert models.parameter_counts(model)["mapping"] == config.latent_dim * 16 + 16  # one Linear
    z1, z2 = torch.randn(2, 1, config.latent_dim)
    zero = torch.zeros(1, config.latent_dim)
    (g1, b1), (g2, b2), (g0, b0), (g12, b12) = (model.mapping(z) for z in (z1, z2, zero, z1 + z2))
    assert not g1.any() and not g12.any()  # γ = 0: every layer keeps its ω
    torch.testing.assert_close(b12 - b0, (b1 - b0) + (b2 - b0), rtol=1e-5, atol=1e-6)
    points = analysis.stationary_points(model, z1[0])
    np.testing.assert_allclose(points.omega[0], config.omega_first)  # the scale is ω alone


def test_beyond_builds_measures_and_resumes(embedded_home, tmp_path, monkeypatch):
    from cinr_lab import beyond, experiments
    from cinr_lab.ops import builds

    tiny = experiments.Scale(items=2, steps=2, batch=2, coords=200, cdpam_items=1)
    variants = {"PCINR": beyond.VARIANTS["PCINR"],
                "Parallel": beyond.VARIANTS["Parallel (4 × depth 3)"]}  # fmt: skip
    kw = dict(sets=("keyboard",), seeds=1, out=tmp_path / "res", runs=tmp_path / "runs",
              variants=variants)  # fmt: skip
    out = builds.beyond(tiny, **kw)
    records = [json.loads(line) for line in (out / "beyond.jsonl").read_text().splitlines()]
    assert [r["variant"] for r in records] == ["PCINR", "Parallel"]
    assert len(records[0]["density"]) == 8 and len(records[1]["density"]) == 3  # per layer
    assert all(np.isfinite(r["snr"]) and np.isfinite(r["hf_excess"]) for r in records)
    text = (out / "beyond.md").read_text()
    assert "| Parallel | 1 |" in text and "HF excess %" in text
    # The table's PCINR run is shared: same name, same settings, same folder.
    assert experiments.run_path(tmp_path / "runs", "custom", "keyboard", "PCINR", 0).is_dir()

    # The same build, runs side by side (one thread per worker): the same records, but rounding.
    two = builds.beyond(tiny, **kw | dict(out=tmp_path / "two", runs=tmp_path / "runs2", jobs=2))
    lines = (two / "beyond.jsonl").read_text().splitlines()
    side_by_side = {r["variant"]: r for r in map(json.loads, lines)}
    assert set(side_by_side) == {"PCINR", "Parallel"}
    for record in records:
        for measure in ("snr", "mse", "multi_stft", "hf_excess"):
            got = side_by_side[record["variant"]][measure]
            assert got == pytest.approx(record[measure], rel=1e-3)
    rows = [line.split("|")[1].strip() for line in (two / "beyond.md").read_text().splitlines()
            if line.startswith("| ")][1:]  # fmt: skip
    assert rows == ["PCINR", "Parallel"]  # in the variants' order, whichever finished first

    def no_training(*args, **kwargs):
        raise AssertionError("a finished variant was trained again")

    monkeypatch.setattr(train, "fit_or_load", no_training)
    assert builds.beyond(tiny, **kw) == out
    assert (out / "beyond.csv").read_text().count("\n") > 1
    wavs = {p.parent.name: p.name for p in (out / "beyond_audio" / "keyboard").rglob("*.wav")}
    assert set(wavs) == {"PCINR", "Parallel", "truth"}
    assert len(list((out / "beyond_audio" / "keyboard" / "Parallel").glob("*.wav"))) == 2  # items


def test_a_diverged_run_is_recorded_and_the_build_goes_on(
    embedded_home, tmp_path, monkeypatch, capsys
):
    from cinr_lab import beyond, experiments
    from cinr_lab.ops import builds

    tiny = experiments.Scale(items=2, steps=2, batch=2, coords=200, cdpam_items=1)
    variants = {"PCINR": beyond.VARIANTS["PCINR"], "Hot": beyond.VARIANTS["BACON, lr 1e-4"]}
    real_fit = builds.fit

    def fit(scale, set_name, variant, seed, *args, **kwargs):
        if variant == "Hot" and seed == 1:
            raise train.TrainingDiverged("step 88: loss is inf; stopped. (how to restart)")
        return real_fit(scale, set_name, variant, seed, *args, **kwargs)

    monkeypatch.setattr(builds, "fit", fit)
    kw = dict(sets=("keyboard",), seeds=2, out=tmp_path / "res", runs=tmp_path / "runs",
              variants=variants)  # fmt: skip
    out = builds.beyond(tiny, **kw)
    log = capsys.readouterr().out  # one plain line per run, for a log file
    assert "beyond: run 1 of 4: keyboard PCINR seed 0" in log
    assert "beyond: run 4 of 4: keyboard Hot seed 1" in log
    records = [json.loads(line) for line in (out / "beyond.jsonl").read_text().splitlines()]
    assert [(r["variant"], r["seed"]) for r in records] == [
        ("PCINR", 0), ("Hot", 0), ("PCINR", 1), ("Hot", 1)
    ]  # fmt: skip
    assert records[-1]["diverged"] == "step 88: loss is inf" and "snr" not in records[-1]
    assert all("snr" in r for r in records[:-1])
    text = (out / "beyond.md").read_text()
    assert "| Hot | 1 |" in text and "| PCINR | 2 |" in text  # seeds that were measured
    assert "keyboard, Hot, seed 1: **diverged** (step 88: loss is inf)" in text

    def no_training(*args, **kwargs):
        raise AssertionError("a diverged run was trained again")

    monkeypatch.setattr(builds, "fit", no_training)
    monkeypatch.setattr(builds, "examples", lambda *args, **kwargs: None)
    builds.beyond(tiny, **kw)  # resumes: the diverged run stays a result


def test_gaussian_hidden_layers_behind_a_sine_first_layer():
    torch.manual_seed(0)
    model = models.build(models.config_for("pcinr-gauss", hidden=16, layers=3, mapping_hidden=16))
    kinds = [type(layer.activation).__name__ for layer in model.layers]
    assert kinds == ["Sine", "Gaussian", "Gaussian"]
    z = torch.randn(1, 256) * 0.1
    with torch.no_grad():
        _, hidden = model(z, models.grid(400), return_hidden=True)
    assert 0 < hidden[1].min() and hidden[1].max() <= 1  # bumps: exp(-u²/2) in (0, 1]
    assert (hidden[1] > 1e-3).float().mean() > 0.5  # the init keeps most units off their tails
    points = analysis.stationary_points(model, z)  # counted through the model's own layers
    assert points.measured.shape == (3, 16) and (points.measured > 0).all()


@pytest.mark.parametrize("band", [8000.0, 2000.0])
def test_bacon_makes_nothing_above_its_band(band):
    """Whatever the latent, rendered 4x denser: no energy above the band but float32's floor.

    A Blackman-Harris window keeps the clip's edges from leaking across the band's edge."""
    import scipy.signal

    torch.manual_seed(1)
    model = models.build(models.config_for("bacon", hidden=32, layers=4, band_hz=band)).eval()
    assert model.band_limit() <= band
    z = torch.randn(3, 256)  # far larger than trained latents, γ and β of order 1
    with torch.no_grad():
        wave = model.render(z, 4.0).numpy().astype(np.float64)
    hz, power = scipy.signal.welch(wave, 64000, "blackmanharris", nperseg=4096, detrend=False)
    share = power / power.sum(-1, keepdims=True)
    above = share[:, hz > 1.05 * band].sum(-1)
    upper_half = share[:, (hz > band / 2) & (hz <= band)].sum(-1)
    assert (above < 1e-9).all(), above
    assert (upper_half > 1e4 * above).all()  # it reaches up to its band: the bound is not vacuous


def test_bacon_trains_and_is_analysed(make_nsynth, tmp_path):
    kw = dict(model="bacon", set=None, data=str(make_nsynth()), items=4, steps=60,
              seconds=0.05, coords=800, batch=4, lr=5e-3, latent_lr=1e-2, stft_weight=0.0,
              checkpoint_every=30)  # fmt: skip
    small = models.config_for("bacon", hidden=32, layers=3, mapping_hidden=16, band_hz=4000.0)
    run = train.Trainer.create(tmp_path / "r", recipes.recipe("v0", **kw), small).fit(
        progress=False
    )
    mse = runfolder.loss_curve(run)["mse"]
    assert np.mean(mse[-5:]) < 0.5 * mse[0]
    loaded = rendering.load_run(run)
    points = analysis.stationary_points(loaded.model, loaded.latents[:1])
    assert points.measured.shape == (3, 32) and (points.measured[1:] > 0).any()
    with pytest.raises(ValueError, match="no scales"):
        with loaded.model.scaled(first=2.0):
            pass


def test_a_row_may_change_the_decoders_learning_rate_alone():
    from cinr_lab import beyond, experiments

    plain, faster = (
        experiments.train_config("study", v, "keyboard", 0, beyond.VARIANTS)
        for v in ("Band-limited (BACON)", "BACON, lr 1e-4")
    )
    assert plain.lr is None and faster.lr == 1e-4
    assert dataclasses.replace(faster, lr=None) == plain  # nothing else differs


def test_beyond_rows_trains_only_those_variants_with_their_hiss_along_training(
    embedded_home, tmp_path, monkeypatch
):
    from cinr_lab import beyond, experiments
    from cinr_lab.ops import builds

    tiny = experiments.Scale(items=2, steps=2, batch=2, coords=200, cdpam_items=1, snapshots=(1,))
    variants = {"PCINR": beyond.VARIANTS["PCINR"], "FINER": beyond.VARIANTS["FINER"]}
    kw = dict(sets=("keyboard",), seeds=1, out=tmp_path / "res", runs=tmp_path / "runs",
              variants=variants)  # fmt: skip
    trained = []
    fit = builds.fit
    monkeypatch.setattr(builds, "fit", lambda *a, **k: trained.append(a[2]) or fit(*a, **k))
    out = builds.beyond(tiny, rows=("FINER",), **kw)
    assert set(trained) == {"FINER"}  # and its listening examples: no PCINR run made for them
    (record,) = [json.loads(line) for line in (out / "beyond.jsonl").read_text().splitlines()]
    assert [p["step"] for p in record["training"]] == [0, 1, 2]  # init, snapshot, end
    assert record["training"][-1]["hf_excess"] == pytest.approx(record["hf_excess"], abs=1e-9)
    assert np.mean(record["per_note"]["snr"]) == pytest.approx(record["snr"])  # each of 2 notes
    assert len(record["per_note"]["snr"]) == 2
    assert not (out / "beyond_audio" / "keyboard" / "PCINR").exists()
    builds.beyond(tiny, rows=("PCINR",), **kw | dict(sets=("diverse",)))
    table = (out / "beyond.md").read_text()
    diverse, keyboard = table.split("## keyboard")  # one set's build keeps the other set's table
    assert "| PCINR | 1 |" in diverse and "| FINER | 1 |" in keyboard  # earlier records too
    with pytest.raises(checks.ConfigError, match="rows: unknown .'SIREN'"):
        builds.beyond(tiny, rows=("SIREN",), **kw)


def test_shared_rows_adopt_table_records_instead_of_measuring_again(tmp_path):
    """Table 1 and beyond report one record per shared run: beyond copies the table's (its
    metrics, and its last point along training for HF excess and density), and only those."""
    from cinr_lab import beyond
    from cinr_lab.ops import builds

    along = [{"step": 0, "hf_excess": 0.0, "density": [1.0]},
             {"step": 9, "hf_excess": -0.002, "density": [3.0, 4.0]}]  # fmt: skip
    table_records = [
        {"scale": "fit", "set": "keyboard", "arch": "PCINR", "seed": 0, "mse": 1.5, "snr": 12.0,
         "multi_stft": 0.01, "cdpam": 0.3, "seconds": 9.0, "training": along,
         "per_note": {"snr": [11.0, 13.0]}},
        {"scale": "fit", "set": "keyboard", "arch": "TCNN", "seed": 0, "mse": 2.0, "snr": 10.0,
         "multi_stft": 0.02, "cdpam": 0.4, "seconds": 8.0, "training": along},  # not a variant
        {"scale": "study", "set": "keyboard", "arch": "PCINR Wide", "seed": 0, "mse": 1.0,
         "snr": 9.0, "multi_stft": 0.02, "cdpam": 0.4, "seconds": 8.0},  # not measured along
    ]  # fmt: skip
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in table_records))
    path = tmp_path / "beyond.jsonl"
    assert builds.adopt(path, tmp_path / "runs.jsonl", "fit", beyond.VARIANTS) == 1
    (record,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert record["variant"] == "PCINR" and record["mse"] == 1.5 and record["snr"] == 12.0
    assert record["hf_excess"] == -0.002 and record["density"] == [3.0, 4.0]
    assert record["training"] == along  # its hiss along training, as beyond's own records keep
    assert record["per_note"] == {"snr": [11.0, 13.0]}  # for verdicts paired by note
    assert builds.adopt(path, tmp_path / "runs.jsonl", "fit", beyond.VARIANTS) == 0  # once
    del record["per_note"]  # adopted before records kept per-note values: they are filled in
    path.write_text(json.dumps(record) + "\n")
    assert builds.adopt(path, tmp_path / "runs.jsonl", "fit", beyond.VARIANTS) == 0
    (again,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert again == record | {"per_note": {"snr": [11.0, 13.0]}}
    other = dict(beyond.VARIANTS, PCINR=beyond.Row("pcinr", weight_decay=0.5))
    assert builds.adopt(tmp_path / "b.jsonl", tmp_path / "runs.jsonl", "fit", other) == 0


def test_report_adopts_and_writes_both_sets_in_the_variants_order(tmp_path, monkeypatch):
    """`beyond --report`: Table 1's new shared records adopted, every set's rows written in
    the variants' order (not the order runs finished in), nothing trained."""
    from cinr_lab import beyond
    from cinr_lab.ops import builds

    monkeypatch.setattr(builds, "fit", lambda *a, **k: pytest.fail("report trained a run"))
    measured = {"mse": 1.0, "snr": 10.0, "multi_stft": 0.01, "cdpam": 0.3, "hf_excess": 0.0,
                "density": [1.0], "seconds": 1.0}  # fmt: skip
    mine = [{"scale": "fit", "set": s, "variant": v, "seed": 0, **measured}
            for s in ("keyboard", "diverse") for v in ("FINER", "PCINR")]  # fmt: skip
    mine.append({"scale": "study", "set": "diverse", "variant": "Gaussian", "seed": 0, **measured})
    (tmp_path / "beyond.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mine))
    wide = {"scale": "fit", "set": "diverse", "arch": "PCINR Wide", "seed": 0, "mse": 0.5,
            "snr": 12.0, "multi_stft": 0.01, "cdpam": 0.3, "seconds": 9.0,
            "training": [{"step": 9, "hf_excess": 0.01, "density": [2.0]}]}  # fmt: skip
    (tmp_path / "runs.jsonl").write_text(json.dumps(wide) + "\n")
    builds.beyond_report("fit", out=tmp_path)
    text = (tmp_path / "beyond.md").read_text()
    assert text.index("## diverse") < text.index("## keyboard")
    diverse = text[: text.index("## keyboard")]
    order = list(beyond.VARIANTS)
    shown = [v for v in order if f"| {v} | 1 |" in diverse]
    assert shown == [v for v in order if v in ("PCINR", "PCINR Wide", "FINER")]
    assert [diverse.index(f"| {v} |") for v in shown] == sorted(
        diverse.index(f"| {v} |") for v in shown
    )
    assert "Gaussian" not in text  # another scale's record
    kept = [json.loads(x) for x in (tmp_path / "beyond.jsonl").read_text().splitlines()]
    assert sum(r["variant"] == "PCINR Wide" for r in kept) == 1  # adopted, once
    with pytest.raises(checks.ConfigError, match="holds no 'paper' records"):
        builds.beyond_report("paper", out=tmp_path)
