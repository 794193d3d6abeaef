"""`wav`: the mid/side waveform of a window, resampled to profile.wav_rate, channels last."""

from __future__ import annotations

import librosa
import numpy as np

from bench.features.audio import mid_side
from bench.profiles import Profile

NAME = "wav"
VERSION = "2"  # 2: unnormalised; the trial normalises (bench.trial.normalization)
PROFILE_FIELDS = ("wav_rate",)  # besides the window's own fields: what the cache key hashes
TIME_AXIS = 0  # samples
DESCRIPTION = "mid/side waveform (2 channels) at the profile's wav_rate"


def shape(profile: Profile) -> tuple[int, int]:
    return (int(round(profile.window_seconds * profile.wav_rate)), 2)


def compute(window: np.ndarray, profile: Profile) -> np.ndarray:
    """(2, samples) stereo at profile.sample_rate -> (samples', 2) mid/side, unnormalised (the trial normalises)."""
    ms = mid_side(window)
    if profile.wav_rate != profile.sample_rate:
        ms = librosa.resample(ms, orig_sr=profile.sample_rate, target_sr=profile.wav_rate, res_type="soxr_hq", axis=-1)
    ms = librosa.util.fix_length(ms, size=shape(profile)[0], axis=-1)
    return np.ascontiguousarray(ms.T, dtype=np.float32)
