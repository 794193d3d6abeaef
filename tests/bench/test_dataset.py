"""Building window features through the cache: cold, warm, corrupted, and with bad files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_PROFILE

import bench.features.stage
from bench.features.cache import FeatureCache
from bench.features.reader import FeatureReader
from bench.features.stage import build_dataset
from bench.registry import load_registry
from bench.specs import Catalog, Target, Track
from bench_plugins.features import mel

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

FEATURES = [load_registry().features[name] for name in ("mel", "dsp")]


@pytest.fixture
def catalog(tiny_corpus):
    import csv

    folder, labels = tiny_corpus
    rows = list(csv.DictReader(open(labels)))
    tracks = [
        Track(r["track_id"], r["artist"], folder / r["file"], {"danceability": float(r["danceability"])}) for r in rows
    ]
    return Catalog(tracks, {"danceability": Target("danceability")})


def load(dataset, name):
    """Every window's rows of one feature, read the way trials read them."""
    reader = FeatureReader(dataset.features[name], dataset.shapes[name])
    return reader.read(np.arange(len(reader)))


def test_cold_build_then_warm_build_decodes_nothing(catalog, tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path)
    cold = build_dataset(catalog, FEATURES, TINY_PROFILE, cache)
    assert len(cold.tracks) == 8 and len(cold.window_track) == 8 * (12 // TINY_PROFILE.window_seconds)
    assert load(cold, "mel").shape == (16, *mel.shape(TINY_PROFILE))
    assert cold.feature_seconds["mel"] > 0

    def no_decoding(*args, **kwargs):
        raise AssertionError("a warm build must not decode audio")

    monkeypatch.setattr(bench.features.stage, "LocalFeaturePool", no_decoding)
    warm = build_dataset(catalog, FEATURES, TINY_PROFILE, cache)
    assert warm.feature_seconds == {"mel": 0.0, "dsp": 0.0}
    np.testing.assert_array_equal(load(warm, "dsp"), load(cold, "dsp"))


def test_damaged_entries_are_rebuilt(catalog, tmp_path):
    cache = FeatureCache(tmp_path)
    first = build_dataset(catalog, FEATURES, TINY_PROFILE, cache)
    expected = load(first, "dsp").copy()
    entries = sorted((tmp_path / "features" / "dsp").rglob("*.afb"))
    entries[0].write_bytes(entries[0].read_bytes()[:40])  # truncated
    blob = bytearray(entries[1].read_bytes())
    blob[2] ^= 0xFF  # a damaged header
    entries[1].write_bytes(bytes(blob))
    again = build_dataset(catalog, FEATURES, TINY_PROFILE, cache)
    np.testing.assert_allclose(load(again, "dsp"), expected, rtol=1e-6)
    assert again.feature_seconds["dsp"] > 0  # the damaged tracks were recomputed


def test_bad_and_short_files_are_reported_and_the_rest_kept(catalog, tmp_path):
    import soundfile

    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all" * 10)
    short = tmp_path / "short.wav"
    soundfile.write(short, np.zeros((24000, 2), np.float32), 8000)  # 3 s: shorter than one 5 s window
    tiny = tmp_path / "tiny.wav"
    soundfile.write(tiny, np.zeros((880, 2), np.float32), 8000)  # 0.11 s: mostly silence if padded
    extra = [
        Track("tiny", "x", tiny, {"danceability": 0.5}),
        Track("broken", "x", broken, {"danceability": 0.5}),
        Track("short", "x", short, {"danceability": 0.5}),
        Track("missing", "x", tmp_path / "nope.flac", {"danceability": 0.5}),
    ]
    padded = build_dataset(
        Catalog(catalog.tracks + extra, catalog.targets), FEATURES, TINY_PROFILE, FeatureCache(tmp_path / "c")
    )
    problems = {p.where.rsplit("/", 1)[-1]: p for p in padded.problems}
    assert "cannot decode" in problems["broken.wav"].what and problems["broken.wav"].action == "skipped"
    assert "shorter than one window" in problems["short.wav"].what and problems["short.wav"].action == "padded"
    assert problems["nope.flac"].action == "skipped"
    assert problems["tiny.wav"].action == "dropped" and "under 2.5 s a clip is dropped" in problems["tiny.wav"].what
    assert len(padded.tracks) == 9  # the 8 good songs and the padded short clip
    dropped = build_dataset(
        Catalog(catalog.tracks + extra, catalog.targets),
        FEATURES,
        TINY_PROFILE,
        FeatureCache(tmp_path / "d"),
        short_policy="drop",
    )
    assert len(dropped.tracks) == 8


def test_parallel_extraction_matches_serial(catalog, tmp_path):
    serial = build_dataset(catalog, FEATURES, TINY_PROFILE, FeatureCache(tmp_path / "a"), jobs=1)
    parallel = build_dataset(catalog, FEATURES, TINY_PROFILE, FeatureCache(tmp_path / "b"), jobs=2)
    np.testing.assert_allclose(load(parallel, "mel"), load(serial, "mel"))
