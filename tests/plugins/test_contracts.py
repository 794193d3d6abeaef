"""Contract tests: every registered plugin of every kind, built-in or installed, must honour
its spec. A new plugin is tested the moment it is registered."""

from __future__ import annotations

import dataset_fixtures as datasets
import music_fixtures as music
import numpy as np
import pytest

from bench.features.extraction import run_feature
from bench.features.reader import FeatureReader
from bench.profiles import QUICK
from bench.registry import load_registry
from bench.specs import Catalog, Fold, WindowTable

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

REGISTRY = load_registry()


def names(kind):
    return sorted(REGISTRY.of_kind(kind))


@pytest.mark.parametrize("name", names("feature"))
def test_feature_output_matches_its_declared_shape(name, stereo_window):
    feature = REGISTRY.features[name]
    out = run_feature(feature, stereo_window, QUICK)
    assert out.shape == tuple(feature.shape(QUICK))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert feature.description and feature.version


@pytest.mark.parametrize("name", names("feature"))
def test_feature_survives_silence(name):
    silence = np.zeros((2, QUICK.window_samples), np.float32)
    assert np.isfinite(run_feature(REGISTRY.features[name], silence, QUICK)).all()


def _input_shape(model_name):
    return tuple(REGISTRY.features[REGISTRY.models[model_name].feature].shape(QUICK))


@pytest.mark.integration  # trains every model for a step
@pytest.mark.parametrize("name", names("model"))
def test_model_fits_and_predicts_through_its_framework(name, tmp_path):
    spec = REGISTRY.models[name]
    adapter = REGISTRY.framework(name)
    shape = _input_shape(name)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (8, *shape)).astype(np.float32), rng.uniform(0, 1, 8)
    if not adapter.scaled_labels:  # labels in the target's own units: the frozen tempo networks predict BPM
        y = rng.uniform(60, 200, 8)
    np.save(tmp_path / "x.npy", x)
    reader = FeatureReader(tmp_path / "x.npy")
    assert spec.feature in REGISTRY.features and spec.description
    profile = QUICK.with_knobs(spec.knobs)  # what a trial hands the framework
    model = adapter.build(spec, shape, profile, seed=0)
    adapter.check_model(model, x)
    adapter.fit(model, profile, reader, np.arange(8), None, y, seed=0)
    predictions = adapter.predict(model, reader, np.arange(8), profile)
    assert predictions.shape == (8,) and np.isfinite(predictions).all()
    if adapter.bounded:
        assert ((predictions >= 0) & (predictions <= 1)).all()
    assert adapter.count_params(model) > 0


@pytest.mark.parametrize("name", names("metric"))
def test_metric_prefers_the_perfect_prediction(name):
    metric = REGISTRY.metrics[name]
    true = np.linspace(0, 1, 20)
    noisy = true + np.random.default_rng(0).normal(0, 0.3, 20)
    perfect, rough = metric.compute(true, true), metric.compute(true, noisy)
    assert np.isfinite(perfect) and np.isfinite(rough)
    assert (perfect > rough) if metric.higher_is_better else (perfect < rough)


def _windows(n_songs=12, per_song=3, per_artist=3):
    track = np.repeat([f"song{i}" for i in range(n_songs)], per_song)
    group = np.repeat([f"artist{i // per_artist}" for i in range(n_songs)], per_song)
    return WindowTable(track, group, np.full(len(track), "training"))


GENERIC_SPLITS = [n for n in names("split") if n != "fma-official"]


@pytest.mark.parametrize("name", GENERIC_SPLITS)
@pytest.mark.parametrize("folds", [None, 3])
def test_split_partitions_the_windows(name, folds):
    windows = _windows()
    made = REGISTRY.splits[name].make(windows, 0, folds, 0.25)
    assert len(made) == (folds or 1)
    for fold in made:
        assert isinstance(fold, Fold) and len(fold.train) and len(fold.test)
        assert not set(fold.train) & set(fold.test)
    if folds:  # every window is tested exactly once across the folds
        assert sorted(np.concatenate([f.test for f in made])) == list(range(len(windows)))


# How to feed each source a small real dataset; a source not listed here needs data of its own.
SOURCE_DATA = {
    "synthetic": lambda root: {"songs": 4, "seconds": 7},
    "folder": lambda root: dict(zip(("audio_dir", "labels"), music.clean_folder(root))),
    "fma": lambda root: dict(zip(("fma_metadata", "fma_audio"), music.fma_tree(root))),
    "deam": lambda root: {"deam_dir": datasets.deam_tree(root, bad=False)},
    "emomusic": lambda root: {"emomusic_dir": datasets.emomusic_tree(root, bad=False)},
    "pmemo": lambda root: {"pmemo_dir": datasets.pmemo_tree(root, bad=False)},
    "ballroom": lambda root: {"ballroom_dir": datasets.ballroom_tree(root, bad=False)},
    "giantsteps": lambda root: {"giantsteps_dir": datasets.giantsteps_tree(root, bad=False)},
    "music4all": lambda root: {"music4all_dir": datasets.music4all_tree(root, bad=False)},
}
# The target each source's test predicts, where it has no danceability.
SOURCE_TARGET = {
    "deam": "arousal",
    "emomusic": "valence",
    "pmemo": "arousal",
    "ballroom": "tempo",
    "giantsteps": "tempo",
}


@pytest.mark.parametrize("name", names("source"))
def test_source_lists_tracks_without_decoding(name, tmp_path, monkeypatch):
    if name not in SOURCE_DATA:
        pytest.skip(f"no test data for source {name!r}")
    target = SOURCE_TARGET.get(name, "danceability")
    options = {
        "profile": QUICK,
        "cache_dir": tmp_path / "cache",
        "targets": [target],
        **SOURCE_DATA[name](tmp_path),
    }

    def no_decoding(*args, **kwargs):
        raise AssertionError("a source must not decode audio while listing tracks")

    monkeypatch.setattr("bench.features.audio.read_audio", no_decoding)
    catalog = REGISTRY.sources[name].load(options)
    assert isinstance(catalog, Catalog) and len(catalog.tracks) >= 4 and catalog.description
    assert target in catalog.targets
    for track in catalog.tracks:
        assert track.path.exists() and track.id and track.group
        assert 0.0 <= catalog.targets[target].scale(track.labels[target]) <= 1.0
