"""The intermediates features share per window (bench.intermediates, bench.features.shared):
librosa's STFT in float32, one STFT cut for a coarser hop, each computed once per window in
the worker, and their parameters in the declaring feature's cache key."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile

from bench.features import shared as shared_module
from bench.features.cache import FeatureCache
from bench.features.extraction import TrackJob, extract, run_feature
from bench.features.shared import WindowInputs
from bench.intermediates import Audio, MelPower, Spectrum
from bench.profiles import QUICK
from bench.specs import FeatureSpec


@pytest.fixture
def window() -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(QUICK.window_samples) / QUICK.sample_rate
    left = np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(len(t))
    return np.stack([left, 0.5 * left + 0.1 * rng.standard_normal(len(t))]).astype(np.float32)


def test_a_spectrum_is_librosas_stft_and_a_mel_power_its_melspectrogram(window):
    inputs = WindowInputs(window, QUICK.sample_rate)
    mid = (window[0] + window[1]) / 2
    np.testing.assert_array_equal(inputs.get(Audio("mid")), mid)
    expected = librosa.stft(mid, n_fft=512, hop_length=128)
    np.testing.assert_allclose(inputs.get(Spectrum(512, 128, "mid")), expected, rtol=1e-4, atol=1e-4)
    mel = librosa.feature.melspectrogram(y=mid, sr=QUICK.sample_rate, n_fft=512, hop_length=128, n_mels=40)
    np.testing.assert_allclose(inputs.get(MelPower(40, 512, 128, "mid")), mel, rtol=1e-4, atol=1e-3)
    resampled = librosa.resample(mid, orig_sr=QUICK.sample_rate, target_sr=2000, res_type="soxr_hq")
    np.testing.assert_array_equal(inputs.get(Audio("mid", 2000)), resampled)


def test_one_stft_serves_every_hop_that_is_a_multiple_of_the_finest(window, monkeypatch):
    calls = []
    original = shared_module.stft
    monkeypatch.setattr(shared_module, "stft", lambda *a: calls.append(a[1:]) or original(*a))
    declared = [Spectrum(512, 256, "mid"), Spectrum(512, 128, "mid"), Spectrum(512, 384, "mid")]
    inputs = WindowInputs(window, QUICK.sample_rate, declared)
    coarse = inputs.get(Spectrum(512, 256, "mid"))
    third = inputs.get(Spectrum(512, 384, "mid"))
    inputs.get(Spectrum(1024, 256, "mid"))  # another n_fft: its own STFT
    inputs.get(Spectrum(512, 256, "mid", rate=QUICK.sample_rate))  # the decode rate spelt out: the same one
    assert calls == [(512, 128), (1024, 256)]
    np.testing.assert_array_equal(coarse, original(inputs.get(Audio("mid")), 512, 256))
    np.testing.assert_array_equal(third, original(inputs.get(Audio("mid")), 512, 384))


def test_a_shared_array_cannot_be_changed_by_one_of_its_features(window):
    spectrum = WindowInputs(window, QUICK.sample_rate).get(Spectrum(512, 128, "mid"))
    with pytest.raises(ValueError, match="read-only"):
        spectrum[0, 0] = 0


def test_a_record_with_a_bad_field_names_it():
    with pytest.raises(ValueError, match="channel must be one of mid, side"):
        Spectrum(512, 128, "left")
    with pytest.raises(ValueError, match="hop must be positive"):
        MelPower(40, 512, 0, "mid")


def _feature(name: str, record, version: str = "1") -> FeatureSpec:
    def compute(window, profile, arrays):
        return np.asarray([float(np.abs(arrays["x"]).mean())], np.float32)

    return FeatureSpec(name, "test", version, compute, lambda p: (1,), (), inputs=lambda p: {"x": record})


def test_the_intermediates_parameters_are_part_of_the_cache_key(tmp_path):
    audio = tmp_path / "a.wav"
    soundfile.write(audio, np.zeros((800, 2), np.float32), 8000)
    cache = FeatureCache(tmp_path / "cache")
    base = cache.key(audio, _feature("f", Spectrum(512, 128, "mid")), QUICK, "pad")
    assert base == cache.key(audio, _feature("f", Spectrum(512, 128, "mid")), QUICK, "pad")
    assert base != cache.key(audio, _feature("f", Spectrum(512, 256, "mid")), QUICK, "pad")
    assert base != cache.key(audio, _feature("f", Spectrum(512, 128, "side")), QUICK, "pad")
    assert base != cache.key(audio, _feature("f", MelPower(40, 512, 128, "mid")), QUICK, "pad")
    with pytest.raises(RuntimeError, match="feature 'f': its inputs"):
        cache.key(audio, _feature("f", "not a record"), QUICK, "pad")


def test_a_worker_computes_each_shared_intermediate_once_per_window(tmp_path, monkeypatch):
    audio = tmp_path / "clip.wav"
    rng = np.random.default_rng(0)
    soundfile.write(audio, 0.1 * rng.standard_normal((3 * QUICK.window_samples, 2)).astype(np.float32), 8000)
    calls = []
    original = shared_module.stft
    monkeypatch.setattr(shared_module, "stft", lambda *a: calls.append(a[1:]) or original(*a))
    features = [_feature("a", Spectrum(512, 128, "mid")), _feature("b", MelPower(24, 512, 256, "mid"))]
    keys = {"a": "k" * 64, "b": "j" * 64}
    job = TrackJob(0, str(audio), keys, (), QUICK, str(tmp_path / "cache"), "pad")
    result = extract(job, {f.name: f for f in features})
    assert result.windows == 3 and not result.failures
    assert calls == [(512, 128)] * 3  # one STFT per window serves both features
    alone = run_feature(features[1], np.zeros((2, QUICK.window_samples), np.float32), QUICK)
    assert alone.shape == (1,)  # outside the stage, a feature's intermediates are computed for it
