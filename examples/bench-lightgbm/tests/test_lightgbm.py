"""The adapter drives LightGBM the way the harness drives any framework: build from the
model's parameters, train with early stopping, predict, save and reload, count."""

from __future__ import annotations

import numpy as np
import pytest

lightgbm = pytest.importorskip("lightgbm")

from bench_lightgbm import LightGBMFramework, bench_models  # noqa: E402

from bench.features.reader import FeatureReader  # noqa: E402
from bench.frameworks import ModelContractError  # noqa: E402
from bench.profiles import QUICK  # noqa: E402
from bench.registry import load_registry  # noqa: E402
from bench.specs import ModelSpec  # noqa: E402


@pytest.fixture
def windows(tmp_path):
    """200 windows of 16 values whose label is a smooth function of the first two."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (200, 16)).astype(np.float32)
    y = 0.6 * x[:, 0] + 0.4 * x[:, 1] ** 2
    np.save(tmp_path / "x.npy", x)
    return FeatureReader(tmp_path / "x.npy"), x, y


def test_it_registers_a_framework_and_a_model_of_it():
    registry = load_registry(["bench_lightgbm"])
    assert registry.models["dsp-gbm"].framework == "lightgbm"
    assert isinstance(registry.framework("dsp-gbm"), LightGBMFramework)


def test_it_learns_early_stops_and_round_trips(windows, tmp_path):
    reader, x, y = windows
    (spec,) = bench_models()
    adapter = LightGBMFramework()
    model = adapter.build(spec, (16,), QUICK, seed=0)
    fitted = adapter.fit(model, QUICK, reader, np.arange(150), np.arange(150, 175), y, seed=0)
    predictions = adapter.predict(model, reader, np.arange(175, 200), QUICK)
    r2 = 1 - np.sum((predictions - y[175:]) ** 2) / np.sum((y[175:] - y[175:].mean()) ** 2)
    assert r2 > 0.8
    assert 0 < fitted.fields["boosting_rounds"] < 400 and adapter.count_params(model) > 0
    adapter.save(model, tmp_path / "model.txt")
    again = adapter.predict_array(adapter.load(tmp_path / "model.txt", spec, (16,), QUICK), x[175:], QUICK)
    np.testing.assert_allclose(again, predictions)


def test_a_build_returning_no_parameters_is_one_clear_line():
    spec = ModelSpec("odd", "d", "dsp", lambda shape, profile: "not a dict", "lightgbm")
    with pytest.raises(ModelContractError, match="build\\(\\) returned str, not a dict of lightgbm parameters"):
        LightGBMFramework().build(spec, (16,), QUICK, seed=0)
