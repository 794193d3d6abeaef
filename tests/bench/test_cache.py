"""The feature cache: keys, checksums, corruption."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import bench.features.cache
from bench.features.cache import FeatureCache
from bench.features.extraction import ProfileView, UndeclaredProfileField
from bench.profiles import QUICK
from bench.specs import FeatureSpec

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process


def spec(version="1", fields=("n_mels",)):
    return FeatureSpec("demo", "test feature", version, lambda w, p: w, lambda p: (1,), fields)


def test_round_trip(tmp_path):
    cache = FeatureCache(tmp_path)
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.save("demo", "abc123", array)
    np.testing.assert_array_equal(cache.load("demo", "abc123"), array)
    assert cache.load("demo", "missing") is None


def test_corrupt_entry_is_removed_not_trusted(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.save("demo", "abc123", np.ones((100,), np.float32))
    path = cache.path("demo", "abc123")
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF  # flip a bit in the data
    path.write_bytes(bytes(blob))
    assert cache.load("demo", "abc123") is None
    assert not path.exists()


def test_truncated_entry_is_rejected(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.save("demo", "k", np.ones((100,), np.float32))
    path = cache.path("demo", "k")
    path.write_bytes(path.read_bytes()[:50])
    assert cache.load("demo", "k") is None


def test_key_changes_with_file_version_and_profile(tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    cache = FeatureCache(tmp_path / "cache")
    base = cache.key(audio, spec(), QUICK, "pad")
    assert base == cache.key(audio, spec(), QUICK, "pad")
    assert base != cache.key(audio, spec("2"), QUICK, "pad")
    assert base != cache.key(audio, spec(), QUICK.replace(n_mels=40), "pad")
    assert base == cache.key(audio, spec(), QUICK.replace(epochs=99), "pad")  # training knobs don't matter
    assert base != cache.key(audio, spec(), QUICK.replace(hop_seconds=2.5), "pad")  # the windows do, always
    assert base != cache.key(audio, spec(fields=("n_mels", "batch_size")), QUICK, "pad")  # a newly read field
    assert base != cache.key(audio, spec(), QUICK, "drop")
    audio.write_bytes(b"xy")
    assert base != cache.key(audio, spec(), QUICK, "pad")


def test_a_feature_that_declares_nothing_is_keyed_on_every_field(tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    cache = FeatureCache(tmp_path / "cache")
    undeclared = spec(fields=None)
    assert cache.key(audio, undeclared, QUICK, "pad") != cache.key(audio, undeclared, QUICK.replace(epochs=99), "pad")


def test_key_changes_with_the_audio_libraries(tmp_path, monkeypatch):
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    cache = FeatureCache(tmp_path / "cache")
    before = cache.key(audio, spec(), QUICK, "pad")
    monkeypatch.setattr(bench.features.cache, "library_versions", lambda: {"librosa": "99.0"})
    assert cache.key(audio, spec(), QUICK, "pad") != before


def test_reading_an_undeclared_profile_field_names_the_feature_and_the_fix():
    view = ProfileView(QUICK, spec(fields=("n_mels",)))
    assert view.n_mels == QUICK.n_mels and view.window_samples == QUICK.window_samples
    with pytest.raises(UndeclaredProfileField, match=r"feature 'demo' read profile.batch_size.*profile_fields"):
        _ = view.batch_size


def test_files_follow_the_umask_so_a_cache_can_be_shared(tmp_path):
    old = os.umask(0o022)
    try:
        cache = FeatureCache(tmp_path)
        cache.save("demo", "k", np.ones(3, np.float32))
        assert stat.S_IMODE(cache.path("demo", "k").stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_segment_points_at_the_rows_and_rejects_a_truncated_entry(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.save("demo", "k", np.arange(12, dtype=np.float32).reshape(3, 4))
    segment = cache.segment("demo", "k", (4,))
    assert segment.rows == 3
    data = np.frombuffer(open(segment.path, "rb").read()[segment.offset :], np.float32)
    np.testing.assert_array_equal(data, np.arange(12))
    assert cache.segment("demo", "k", (5,)) is None  # another layout than the feature declares: rebuilt
    cache.save("demo", "k", np.ones((3, 4), np.float32))
    path = cache.path("demo", "k")
    path.write_bytes(path.read_bytes()[:-4])
    assert cache.segment("demo", "k", (4,)) is None and not path.exists()


def test_prune_by_size_keeps_the_most_recently_used(tmp_path):
    cache = FeatureCache(tmp_path)
    for n, key in enumerate(("old", "mid", "new")):
        cache.save("demo", key, np.ones(1000, np.float32))
        os.utime(cache.path("demo", key), (1000 + n, 1000 + n))
    removed, freed = cache.prune(max_bytes=cache.path("demo", "new").stat().st_size)
    assert removed == 2 and freed > 0
    assert cache.path("demo", "new").exists() and not cache.path("demo", "old").exists()
    size = cache.path("demo", "new").stat().st_size
    assert cache.prune(older_than_days=1) == (1, size)  # its time stamps are from 1970


def test_info_and_clear(tmp_path):
    cache = FeatureCache(tmp_path / "c")
    cache.save("demo", "abc", np.ones(3, np.float32))
    assert cache.info()["features/demo"]["files"] == 1
    cache.clear()
    assert cache.info() == {}
