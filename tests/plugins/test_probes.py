"""The probes: hyperparameters chosen on validation windows only, refitted on training plus
validation, through the `probe` framework as a trial drives it."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.reader import FeatureReader
from bench.profiles import QUICK
from bench.registry import load_registry
from bench.specs import ModelSpec
from bench_plugins.models import probes


class RecordingReader:
    """A FeatureReader that remembers every row it was asked for."""

    def __init__(self, reader):
        self.reader, self.rows = reader, set()

    def read(self, rows):
        self.rows.update(int(r) for r in rows)
        return self.reader.read(rows)


def linear_windows(tmp_path, n=120, dims=20, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims)).astype(np.float32)
    y = x[:, 0] * 0.3 + noise * rng.standard_normal(n)
    np.save(tmp_path / "x.npy", x)
    return RecordingReader(FeatureReader(tmp_path / "x.npy")), x, (y - y.min()) / np.ptp(y)


@pytest.mark.parametrize("build", [probes.build_ridge, probes.build_mlp], ids=["ridge", "mlp"])
def test_the_test_windows_are_never_read(build, tmp_path):
    reader, _, y = linear_windows(tmp_path)
    train, validation = np.arange(0, 60), np.arange(60, 90)  # windows 90..119 are the test windows
    adapter = probes.ProbeFramework()
    model = adapter.build(ModelSpec("p", "a probe", "emb", build, "probe"), (20,), QUICK, seed=0)
    fitted = adapter.fit(model, QUICK, reader, train, validation, y, seed=0)
    assert reader.rows == set(range(90))
    assert fitted.fields["probe_validation_r2"] is not None and fitted.fields["probe_params"]


def test_ridge_keeps_the_penalty_that_scores_best_on_validation(tmp_path):
    reader, x, y = linear_windows(tmp_path, noise=2.0)
    train, validation = np.arange(0, 40), np.arange(40, 120)
    probe = probes.build_ridge((20,), QUICK)
    scores = probe.select(x[train], y[train], x[validation], y[validation])
    best = probes.RIDGE_ALPHAS[int(np.argmax(scores))]
    assert probe.chosen_ == {"ridge__alpha": best} and probe.validation_r2_ == max(scores)
    assert best > probes.RIDGE_ALPHAS[-1]  # noisy, few training windows: more than the least penalty


def test_without_validation_windows_the_default_is_fitted(tmp_path):
    reader, _, y = linear_windows(tmp_path)
    adapter = probes.ProbeFramework()
    model = probes.build_ridge((20,), QUICK)
    fitted = adapter.fit(model, QUICK, reader, np.arange(50), None, y, seed=0)
    assert fitted.fields == {"probe_params": {"alpha": probes.RIDGE_ALPHAS[0]}, "probe_validation_r2": None}


def test_a_saved_probe_predicts_alike(tmp_path):
    reader, x, y = linear_windows(tmp_path)
    adapter = probes.ProbeFramework()
    model = probes.build_mlp((20,), QUICK)
    model.seed(3)
    adapter.fit(model, QUICK, reader, np.arange(60), np.arange(60, 90), y, seed=3)
    adapter.save(model, tmp_path / "probe.joblib")
    again = adapter.load(tmp_path / "probe.joblib", None, (20,), QUICK)
    np.testing.assert_array_equal(adapter.predict_array(again, x, QUICK), adapter.predict_array(model, x, QUICK))
    assert adapter.count_params(model) > 20 * 64


def test_a_build_that_is_no_search_is_refused():
    from bench.frameworks import ModelContractError

    spec = ModelSpec("bad", "bad", "emb", lambda shape, profile: object(), "probe")
    with pytest.raises(
        ModelContractError, match="framework 'probe' drives a bench_plugins.models.probes.ValidationSearch"
    ):
        probes.ProbeFramework().build(spec, (20,), QUICK, seed=0)


def test_the_musicnn_probes_are_registered_opt_in():
    registry = load_registry()
    names = {"musicnn-msd-ridge", "musicnn-msd-mlp", "musicnn-mtt-ridge", "musicnn-mtt-mlp"}
    assert names <= set(registry.models) and "probe" in registry.frameworks
    assert all(registry.models[n].opt_in and registry.models[n].framework == "probe" for n in names)
    assert not names & set(registry.select("model", []))


@pytest.mark.parametrize("build", [probes.build_ridge, probes.build_mlp], ids=["ridge", "mlp"])
def test_a_unit_silent_in_training_does_not_swing_a_prediction(build, tmp_path):
    """Per-dimension standardising would blow a unit that barely varies on the training windows
    up to unit variance, so one test window that fires it would move its prediction far."""
    _, x, y = linear_windows(tmp_path)
    x[:, 1] = 1e-4 * np.random.default_rng(1).standard_normal(len(x))
    probe = build((20,), QUICK)
    probe.fit(x[:90], y[:90])
    firing = x[90:].copy()
    firing[:, 1] = 1.0
    assert np.abs(probe.predict(firing) - probe.predict(x[90:])).max() < 0.05
