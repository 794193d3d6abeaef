"""`wav`: the mid/side waveform of a window, resampled to profile.wav_rate, channels last."""

from __future__ import annotations

import librosa
import numpy as np

from bench.intermediates import CHANNELS, Audio
from bench.profiles import Profile

NAME = "wav"
VERSION = "2"  # 2: unnormalised; the trial normalises (bench.trial.normalization)
PROFILE_FIELDS = ("wav_rate",)  # besides the window's own fields: what the cache key hashes
TIME_AXIS = 0  # samples
DESCRIPTION = "mid/side waveform (2 channels) at the profile's wav_rate"


def shape(profile: Profile) -> tuple[int, int]:
    return (int(round(profile.window_seconds * profile.wav_rate)), 2)


def inputs(profile: Profile) -> dict[str, Audio]:
    """Mid and side at wav_rate (resampled per window, soxr HQ), shared per window."""
    return {channel: Audio(channel, profile.wav_rate) for channel in CHANNELS}


def compute(window: np.ndarray, profile: Profile, audio: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo at profile.sample_rate -> (samples', 2) mid/side, unnormalised (the trial normalises)."""
    ms = librosa.util.fix_length(np.stack([audio[c] for c in CHANNELS]), size=shape(profile)[0], axis=-1)
    return np.ascontiguousarray(ms.T, dtype=np.float32)
