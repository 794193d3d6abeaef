"""`mel-beats`: the mid/side log-mel spectrogram cut at the window's beats, each beat resampled
to one number of frames.

Row i of the `(rows, n_mels, frames_per_beat, 2)` stack is beat i (see `bench_plugins.features.beats`
for the grid and the rule for a window without a stable beat): the `mel` feature's frames over
that beat, linearly interpolated in time to the frames a beat holds at REFERENCE_BPM. Pitch is
kept (only time is scaled). Rows past the window's last full beat hold the `mel` feature's floor
(-100 dB, what silence reads as).
"""

from __future__ import annotations

import numpy as np

from bench.intermediates import MelPower
from bench.profiles import Profile
from bench_plugins.features import beats, mel

NAME = "mel-beats"
VERSION = "1"
PROFILE_FIELDS = mel.PROFILE_FIELDS  # besides the window's own fields: what the cache key hashes
DESCRIPTION = "mid/side log-mel, one beat per row resampled to a fixed frame count (rows x n_mels x frames x 2)"
FLOOR_DB = -100.0  # the `mel` feature's floor


def frames_per_beat(profile: Profile) -> int:
    return int(round(profile.sample_rate / profile.mel_hop * 60.0 / beats.REFERENCE_BPM))


def shape(profile: Profile) -> tuple[int, int, int, int]:
    return (beats.rows(profile), profile.n_mels, frames_per_beat(profile), 2)


def inputs(profile: Profile) -> dict[str, MelPower]:
    """The `mel` feature's mel power of mid and side, and the one the beats are tracked on
    (under `quick` both come from one STFT of the mid channel), shared per window."""
    return {**mel.inputs(profile), "onset": beats.onset_input(profile)}


def compute(window: np.ndarray, profile: Profile, shared: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo -> (rows, n_mels, frames_per_beat, 2) log-mel, unnormalised."""
    return stack(mel.compute(window, profile, shared), beats.grid(shared["onset"], profile), profile)


def stack(spectrogram: np.ndarray, grid: beats.Grid, profile: Profile) -> np.ndarray:
    """Cut an (n_mels, frames, 2) spectrogram at the grid's rows, each interpolated to frames_per_beat."""
    width, last = frames_per_beat(profile), spectrogram.shape[1] - 1
    out = np.full(shape(profile), FLOOR_DB, np.float32)
    steps = np.arange(width) / width
    for row, (start, length) in enumerate(zip(grid.starts, grid.lengths)):
        # Frame j is centred on j * mel_hop samples (librosa's centred frames).
        position = np.clip((start + steps * length) * profile.sample_rate / profile.mel_hop, 0, last)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, last)
        weight = (position - low)[None, :, None]
        out[row] = (1 - weight) * spectrogram[:, low] + weight * spectrogram[:, high]
    return out
