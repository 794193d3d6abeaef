"""`mel`: log-scaled mel spectrograms of mid and side, as two channels of one image."""

from __future__ import annotations

import librosa
import numpy as np

from bench.intermediates import CHANNELS, MelPower
from bench.profiles import Profile

NAME = "mel"
VERSION = "2"  # 2: unnormalised; the trial normalises (bench.trial.normalization)
PROFILE_FIELDS = ("n_fft", "mel_hop", "n_mels")  # besides the window's own fields: what the cache key hashes
TIME_AXIS = 1  # frames
DESCRIPTION = "mid/side log-mel spectrogram (n_mels x frames x 2)"


def shape(profile: Profile) -> tuple[int, int, int]:
    return (profile.n_mels, 1 + profile.window_samples // profile.mel_hop, 2)


def inputs(profile: Profile) -> dict[str, MelPower]:
    """The mel power of mid and side (librosa.feature.melspectrogram's, in float32), shared per window."""
    return {channel: MelPower(profile.n_mels, profile.n_fft, profile.mel_hop, channel) for channel in CHANNELS}


def compute(window: np.ndarray, profile: Profile, power: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo -> (n_mels, frames, 2) log-mel of mid and side, unnormalised (the trial normalises)."""
    # A fixed reference (not the window's max) keeps loudness comparable across windows.
    db = librosa.power_to_db(np.stack([power[c] for c in CHANNELS]), ref=1.0, amin=1e-10, top_db=None)
    db = np.maximum(db, -100.0)
    return np.moveaxis(db, 0, -1).astype(np.float32)
