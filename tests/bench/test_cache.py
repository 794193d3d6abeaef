"""The feature cache: keys, checksums, corruption."""

from __future__ import annotations

import numpy as np

from bench.cache import FeatureCache
from bench.profiles import QUICK
from bench.specs import FeatureSpec


def spec(version="1"):
    return FeatureSpec("demo", "test feature", version, lambda w, p: w, lambda p: (1,))


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
    assert base != cache.key(audio, spec(), QUICK, "drop")
    audio.write_bytes(b"xy")
    assert base != cache.key(audio, spec(), QUICK, "pad")


def test_info_and_clear(tmp_path):
    cache = FeatureCache(tmp_path / "c")
    cache.save("demo", "abc", np.ones(3, np.float32))
    assert cache.info()["features/demo"]["files"] == 1
    cache.clear()
    assert cache.info() == {}
