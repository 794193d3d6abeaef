"""Micro-benchmarks (pytest-benchmark): feature transforms, windowing, and one training step
and one prediction batch of every model. In the normal test run they execute once as tests
(`--benchmark-disable` in pyproject); measure with `pytest tools/benchmarks --benchmark-enable`."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.audio import WindowStream, cut_windows, load_stereo
from bench.profiles import QUICK
from bench.registry import load_registry

REGISTRY = load_registry()
BATCH = QUICK.batch_size


@pytest.fixture(scope="module")
def song():
    """30 s of stereo noise-plus-clicks at the quick profile's rate."""
    rng = np.random.default_rng(0)
    audio = 0.05 * rng.standard_normal((2, 30 * QUICK.sample_rate)).astype(np.float32)
    audio[:, :: QUICK.sample_rate // 2] += 0.8
    return audio


@pytest.mark.parametrize("name", ["wav", "mel", "dsp", "wav-beats", "mel-beats"])
def test_feature_transform(benchmark, song, name):
    window = song[:, : QUICK.window_samples]
    out = benchmark(REGISTRY.features[name].compute, window, QUICK)
    assert out.shape == REGISTRY.features[name].shape(QUICK)


def test_windowing(benchmark, song):
    windows = benchmark(cut_windows, song, QUICK.window_samples, QUICK.hop_samples)
    assert windows.shape == (30 // QUICK.window_seconds, 2, QUICK.window_samples)


@pytest.fixture(scope="module")
def cd_file(tmp_path_factory):
    """30 s of 44.1 kHz stereo FLAC: decoding and resampling to the quick rate cost something."""
    import soundfile

    path = tmp_path_factory.mktemp("audio") / "song.flac"
    soundfile.write(path, 0.1 * np.random.default_rng(0).standard_normal((30 * 44100, 2)), 44100)
    return path


@pytest.mark.parametrize("mode", ["streamed", "whole"])
def test_decoding_into_windows(benchmark, cd_file, mode):
    window, hop = QUICK.window_samples, QUICK.hop_samples

    def streamed():
        return np.stack(list(WindowStream(cd_file, QUICK.sample_rate, window, hop)))

    def whole():
        return cut_windows(load_stereo(cd_file, QUICK.sample_rate)[0], window, hop)

    windows = benchmark(streamed if mode == "streamed" else whole)
    assert windows.shape == (30 // QUICK.window_seconds, 2, window)


KERAS_MODELS = sorted(n for n, m in REGISTRY.models.items() if m.framework == "keras")


@pytest.fixture(scope="module")
def compiled():
    from bench_plugins.frameworks.training import compile_model

    models = {}
    for name in KERAS_MODELS:
        spec = REGISTRY.models[name]
        shape = REGISTRY.features[spec.feature].shape(QUICK)
        models[name] = (compile_model(spec.build(shape, QUICK), QUICK), shape)
    return models


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_training_step(benchmark, compiled, name):
    model, shape = compiled[name]
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((BATCH, *shape)).astype(np.float32), rng.uniform(0, 1, (BATCH, 1))
    model.train_on_batch(x, y)  # trace once outside the measurement
    loss = benchmark(model.train_on_batch, x, y)
    assert np.isfinite(loss)


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_prediction_batch(benchmark, compiled, name):
    model, shape = compiled[name]
    x = np.random.default_rng(0).standard_normal((BATCH, *shape)).astype(np.float32)
    model.predict_on_batch(x)
    out = benchmark(model.predict_on_batch, x)
    assert np.asarray(out).shape == (BATCH, 1)
