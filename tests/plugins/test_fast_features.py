"""The fast paths of the built-in features give librosa's own numbers (they change speed, not values)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from bench.features.extraction import run_feature
from bench.features.shared import WindowInputs
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry
from bench_plugins.features import dsp, mel

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process


def clicks(seconds: float, sr: int, bpm: float = 120.0) -> np.ndarray:
    """Noise with a click on every beat: a clear pulse for PLP to find."""
    rng = np.random.default_rng(0)
    audio = 0.02 * rng.standard_normal(int(seconds * sr)).astype(np.float32)
    audio[:: int(sr * 60 / bpm)] += 1.0
    return audio


@pytest.mark.parametrize("profile", [QUICK, PAPER], ids=["quick", "paper"])
def test_plp_matches_librosa(profile):
    sr, hop = profile.sample_rate, dsp._hop(profile)
    onset = librosa.onset.onset_strength(y=clicks(profile.window_seconds, sr), sr=sr, hop_length=hop)
    win = min(384, len(onset))
    expected = librosa.beat.plp(onset_envelope=onset, sr=sr, hop_length=hop, win_length=win)
    np.testing.assert_allclose(dsp._plp(onset, sr, hop, win), expected, atol=1e-5)


@pytest.mark.parametrize("profile", [QUICK, PAPER], ids=["quick", "paper"])
def test_mel_power_matches_librosa(profile):
    signals = np.stack([clicks(3, profile.sample_rate), clicks(3, profile.sample_rate, bpm=90)])
    args = dict(sr=profile.sample_rate, n_fft=profile.n_fft, hop_length=profile.mel_hop, n_mels=profile.n_mels)
    expected = librosa.power_to_db(librosa.feature.melspectrogram(y=signals, **args), ref=1.0, amin=1e-10, top_db=None)
    window = np.stack([signals[0] + signals[1], signals[0] - signals[1]])  # mid, side = the two signals
    shared = WindowInputs(window, profile.sample_rate)
    power = np.stack([shared.get(record) for record in mel.inputs(profile).values()])
    ours = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-3)


def test_dsp_descriptors_match_librosa_spectral_features():
    window = np.stack([clicks(QUICK.window_seconds, QUICK.sample_rate)] * 2)
    values = dict(zip(dsp.DESCRIPTORS, run_feature(load_registry().features["dsp"], window, QUICK)))
    hop = dsp._hop(QUICK)
    spectrum = np.abs(librosa.stft(window[0], n_fft=4 * hop, hop_length=hop))
    centroid = librosa.feature.spectral_centroid(S=spectrum, sr=QUICK.sample_rate, n_fft=4 * hop).mean()
    flatness = librosa.feature.spectral_flatness(S=spectrum).mean()
    assert values["centroid_hz_mean"] == pytest.approx(centroid, rel=1e-4)
    assert values["flatness_mean"] == pytest.approx(flatness, rel=1e-4)
    assert values["tempo_bpm"] == pytest.approx(120, rel=0.05)
