"""`mel`: log-scaled mel spectrograms of mid and side, as two channels of one image."""

from __future__ import annotations

import functools

import librosa
import numpy as np
import scipy.fft

from bench.features.audio import mid_side
from bench.profiles import Profile

NAME = "mel"
VERSION = "2"  # 2: unnormalised; the trial normalises (bench.trial.normalization)
PROFILE_FIELDS = ("n_fft", "mel_hop", "n_mels")  # besides the window's own fields: what the cache key hashes
TIME_AXIS = 1  # frames
DESCRIPTION = "mid/side log-mel spectrogram (n_mels x frames x 2)"


def shape(profile: Profile) -> tuple[int, int, int]:
    return (profile.n_mels, 1 + profile.window_samples // profile.mel_hop, 2)


@functools.lru_cache(maxsize=8)
def _transform(sr: int, n_fft: int, n_mels: int) -> tuple[np.ndarray, np.ndarray]:
    """The periodic Hann window and the mel filterbank librosa's melspectrogram uses, built once."""
    window = librosa.filters.get_window("hann", n_fft).astype(np.float32)
    return window, librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)


def power_mel(signals: np.ndarray, sr: int, n_fft: int, hop: int, n_mels: int) -> np.ndarray:
    """(channels, n) -> (channels, n_mels, frames) mel power, as librosa.feature.melspectrogram
    (centred frames, zero padding, Hann window) but in float32 with scipy's rfft (numpy's works
    in float64) and a cached filterbank: librosa's generic path rebuilds the filterbank every call."""
    window, basis = _transform(sr, n_fft, n_mels)
    padded = np.pad(signals.astype(np.float32, copy=False), ((0, 0), (n_fft // 2, n_fft // 2)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=-1)[:, ::hop]
    spectrum = scipy.fft.rfft(frames * window, axis=-1)
    power = spectrum.real**2 + spectrum.imag**2  # (channels, frames, bins)
    return np.matmul(basis, np.swapaxes(power, -1, -2))


def compute(window: np.ndarray, profile: Profile) -> np.ndarray:
    """(2, samples) stereo -> (n_mels, frames, 2) log-mel of mid and side, unnormalised (the trial normalises)."""
    power = power_mel(mid_side(window), profile.sample_rate, profile.n_fft, profile.mel_hop, profile.n_mels)
    # A fixed reference (not the window's max) keeps loudness comparable across windows.
    db = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)
    db = np.maximum(db, -100.0)
    return np.moveaxis(db, 0, -1).astype(np.float32)
