"""Probe floors: one per feature that declares its time axis, fitted as documented."""

from __future__ import annotations

import numpy as np

from bench.profiles import QUICK
from bench.registry import load_registry
from bench_plugins.models import PROBED
from bench_plugins.models.floor_model import ALPHAS, ProbeRegressor, pooled_statistics
from bench_plugins.models.floors import probe_spec

REGISTRY = load_registry()


def test_every_cnn_feature_has_a_probe_that_names_it():
    declared = {name: f.time_axis for name, f in REGISTRY.features.items() if f.time_axis is not None}
    assert declared == PROBED
    for feature in PROBED:
        spec = REGISTRY.models[f"probe-{feature}"]
        assert spec.probe_for == feature == spec.feature and spec.baseline and spec.framework == "floor"
    assert REGISTRY.framework("probe-mel").normalized_input  # it reads what the CNN reads
    assert probe_spec(REGISTRY.features["mel"]).name == "probe-mel"


def test_the_onset_autocorrelation_peaks_at_the_beat_period():
    rate, seconds = 2000, 5.0
    t = np.arange(int(rate * seconds)) / rate
    clicks = (np.sin(2 * np.pi * 2.0 * t) > 0.99).astype(float)  # two clicks a second
    noise = np.random.default_rng(0).standard_normal(t.size) * 0.01
    stats = pooled_statistics(np.stack([clicks + noise, noise], -1)[None], time_axis=0, window_seconds=seconds)
    lags = stats[0, 8:]  # after the mean, std and envelope mean, std of two channels
    frame_rate = rate / round(rate * 0.032)
    first = np.argmax(lags[: int(0.75 * frame_rate)]) + 1  # the strongest lag under 0.75 s, in frames
    assert abs(first / frame_rate - 0.5) < 0.05 and lags[first - 1] > 0.5


def test_the_alpha_is_chosen_on_the_validation_windows():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 40, 2))
    y = x[:, :, 0].std(axis=1) + rng.standard_normal(60) * 0.01
    probe = ProbeRegressor((40, 2), time_axis=0, window_seconds=QUICK.window_seconds)
    probe.fit(x[:40].reshape(40, -1), y[:40], x[40:].reshape(20, -1), y[40:])
    assert probe.alpha_ in ALPHAS and probe.predict(x[40:].reshape(20, -1)).shape == (20,)
    fallback = ProbeRegressor((40, 2), time_axis=0, window_seconds=QUICK.window_seconds).fit(x.reshape(60, -1), y)
    assert fallback.alpha_ in ALPHAS  # without validation windows, RidgeCV on the training windows


def test_run_json_records_what_a_probe_is_the_floor_of():
    from bench.pipeline.provenance import model_provenance

    code = model_provenance(REGISTRY, ["probe-mel", "2dspec"], QUICK)
    assert code["probe-mel"]["probe_for"] == "mel" and code["2dspec"]["probe_for"] is None
