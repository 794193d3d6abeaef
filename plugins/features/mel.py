"""`mel`: log-scaled mel spectrograms of mid and side, as two channels of one image."""

from __future__ import annotations

import librosa
import numpy as np

from bench.audio import mid_side
from bench.profiles import Profile

NAME = "mel"
VERSION = "2"  # 2: unnormalised; the trial normalises (bench.normalization)
DESCRIPTION = "mid/side log-mel spectrogram (n_mels x frames x 2)"


def shape(profile: Profile) -> tuple[int, int, int]:
    return (profile.n_mels, 1 + profile.window_samples // profile.mel_hop, 2)


def compute(window: np.ndarray, profile: Profile) -> np.ndarray:
    """(2, samples) stereo -> (n_mels, frames, 2) log-mel of mid and side, unnormalised (the trial normalises)."""
    power = librosa.feature.melspectrogram(
        y=mid_side(window),
        sr=profile.sample_rate,
        n_fft=profile.n_fft,
        hop_length=profile.mel_hop,
        n_mels=profile.n_mels,
    )
    # A fixed reference (not the window's max) keeps loudness comparable across windows.
    db = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)
    db = np.maximum(db, -100.0)
    return np.moveaxis(db, 0, -1).astype(np.float32)
