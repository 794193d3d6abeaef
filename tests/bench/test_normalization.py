"""Normalisation in the trial: the per-window modes reproduce what the feature transforms
computed before it moved out of them, bit for bit; `train` fits on training windows only."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.extraction import run_feature
from bench.features.reader import FeatureReader
from bench.profiles import QUICK
from bench.registry import load_registry
from bench.trial import normalization
from bench.trial.normalization import Normalizer, fit_train, normalizing_reader, per_window

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process


def _reference(values: np.ndarray, mode: str) -> np.ndarray:
    """The transforms' former normalisation, applied to the array in the layout they had."""
    z = (values - values.mean()) / (values.std() + 1e-8)
    if mode == "zscore":
        return z.astype(np.float32)
    span = z.max() - z.min()
    return ((z - z.min()) / (span if span > 0 else 1.0)).astype(np.float32)


def _former_layout(feature, window: np.ndarray) -> np.ndarray:
    """The feature as the transform held it before normalising: a strided view whose memory
    order (time innermost, channels outside it) decided float32 rounding."""
    row = run_feature(feature, window, QUICK)
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(row, -1, -2)), -1, -2)


@pytest.mark.parametrize("feature", [load_registry().features[name] for name in ("wav", "mel")], ids=["wav", "mel"])
@pytest.mark.parametrize("mode", ["paper", "zscore"])
def test_per_window_modes_match_the_former_transforms_bit_for_bit(feature, mode, stereo_window):
    cached = np.stack([run_feature(feature, stereo_window, QUICK)])  # what the feature cache keeps
    normalised = Normalizer(mode)(cached)[0]
    assert normalised.dtype == np.float32
    assert np.array_equal(normalised, _reference(_former_layout(feature, stereo_window), mode))


def test_per_window_statistics_span_the_whole_window():
    row = np.stack([np.linspace(0, 1, 100), np.linspace(10, 30, 100)], axis=-1).astype(np.float32)
    z = per_window(row, "zscore")
    assert abs(float(z.mean())) < 1e-5 and abs(float(z.std()) - 1) < 1e-4
    assert z[:, 1].mean() > z[:, 0].mean()  # the louder channel stays louder
    paper = per_window(row, "paper")
    assert paper.min() == 0 and paper.max() == 1


def _reader(tmp_path, array: np.ndarray) -> FeatureReader:
    path = tmp_path / "feature.npy"
    np.save(path, array.astype(np.float32))
    return FeatureReader(path)


def test_train_statistics_come_from_training_rows_per_channel(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.normal([0.0, 5.0], [1.0, 3.0], size=(40, 50, 2))
    rows[30:] += 100.0  # test windows far away: they must not move the statistics
    reader = _reader(tmp_path, rows)
    train = np.arange(30)
    stats = fit_train(reader, train)
    assert stats.mean.shape == stats.std.shape == (1, 2)
    expected = rows[train].astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(stats.mean[0], expected.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(stats.std[0], expected.std(axis=(0, 1)), rtol=1e-4)
    normalised = normalizing_reader(reader, "train", train).read(np.arange(40))
    assert abs(normalised[:30].mean()) < 1e-3
    assert normalised[30:].mean() > 10  # the test windows keep their offset, relative to training


def test_train_statistics_are_per_band_for_spectrograms_and_chunking_changes_nothing(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    bands = np.arange(6, dtype=np.float64)[None, :, None, None]
    rows = rng.normal(size=(20, 6, 30, 2)) + 10 * bands  # (windows, bands, frames, channels)
    reader = _reader(tmp_path, rows)
    train = np.arange(0, 20, 2)
    whole = fit_train(reader, train)
    assert whole.mean.shape == (6, 1, 2)
    np.testing.assert_allclose(whole.mean[:, 0, 0], 10 * np.arange(6), atol=0.5)
    monkeypatch.setattr(normalization, "FIT_CHUNK_BYTES", reader.row_bytes * 3)
    chunked = fit_train(reader, train)
    np.testing.assert_allclose(chunked.mean, whole.mean, rtol=1e-6)
    np.testing.assert_allclose(chunked.std, whole.std, rtol=1e-6)


def test_none_passes_features_through_and_json_round_trips(tmp_path):
    rows = np.random.default_rng(2).normal(3.0, 2.0, size=(8, 10, 2))
    reader = _reader(tmp_path, rows)
    assert np.array_equal(normalizing_reader(reader, "none", np.arange(4)).read([1, 2]), reader.read([1, 2]))
    fitted = normalizing_reader(reader, "train", np.arange(4)).normalizer
    again = Normalizer.from_json(fitted.to_json())
    assert np.array_equal(again(reader.read([5])), fitted(reader.read([5])))
    assert Normalizer.from_json({"mode": "paper"}).mode == "paper"


def test_unknown_mode_is_one_clear_error(tmp_path):
    reader = _reader(tmp_path, np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match=r"normalization must be one of .*Received: 'minmax'"):
        normalizing_reader(reader, "minmax", np.arange(2))


def test_streamed_batches_equal_the_in_memory_arrays(tmp_path, monkeypatch):
    from bench_plugins.frameworks import training

    rows = np.random.default_rng(3).normal(1.0, 4.0, size=(12, 16, 2))
    reader = normalizing_reader(_reader(tmp_path, rows), "train", np.arange(8))
    test = np.arange(8, 12)
    in_memory = training.windows(reader, test, None, batch_size=3)
    monkeypatch.setenv("AFB_IN_MEMORY_MB", "0")
    streamed = training.windows(reader, test, None, batch_size=3)
    assert isinstance(streamed, training.WindowBatches)
    assert np.array_equal(np.concatenate([streamed[i][0] for i in range(len(streamed))]), in_memory[0])
