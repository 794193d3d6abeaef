"""`wav-beats`: the mid/side waveform cut at the window's beats, each beat resampled to one length.

Row i of the `(rows, samples_per_beat, 2)` stack is beat i (see `bench_plugins.features.beats` for the
grid and the rule for a window without a stable beat), time-scaled to the samples a beat holds at
REFERENCE_BPM and profile.wav_rate. Time-scaling a waveform moves its pitch by the same factor (a
beat at 100 BPM is raised by 1.2), as playing a record faster would; `mel-beats` scales frames
instead and keeps pitch. Rows past the window's last full beat are silence (zeros).
"""

from __future__ import annotations

import librosa
import numpy as np

from bench.intermediates import Audio, MelPower
from bench.profiles import Profile
from bench_plugins.features import beats

NAME = "wav-beats"
VERSION = "1"
PROFILE_FIELDS = ("wav_rate",)  # besides the window's own fields: what the cache key hashes
DESCRIPTION = "mid/side waveform, one beat per row resampled to a fixed length (rows x samples x 2)"


def samples_per_beat(profile: Profile) -> int:
    return int(round(profile.wav_rate * 60.0 / beats.REFERENCE_BPM))


def shape(profile: Profile) -> tuple[int, int, int]:
    return (beats.rows(profile), samples_per_beat(profile), 2)


def inputs(profile: Profile) -> dict[str, Audio | MelPower]:
    """Mid, side and the mel power the beats are tracked on, shared per window."""
    return {"mid": Audio("mid"), "side": Audio("side"), "onset": beats.onset_input(profile)}


def compute(window: np.ndarray, profile: Profile, shared: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo at profile.sample_rate -> (rows, samples_per_beat, 2), unnormalised."""
    signals = np.stack([shared["mid"], shared["side"]])
    return stack(signals, beats.grid(shared["onset"], profile), profile)


def stack(signals: np.ndarray, grid: beats.Grid, profile: Profile) -> np.ndarray:
    """Cut (2, samples) mid/side at the grid's rows, each resampled to samples_per_beat."""
    width = samples_per_beat(profile)
    out = np.zeros(shape(profile), np.float32)
    resampled: dict[float, np.ndarray] = {}  # beats share lengths (the tracker's frames are quantised)
    for row, (start, length) in enumerate(zip(grid.starts, grid.lengths)):
        rate = width / float(length)
        if rate not in resampled:
            resampled[rate] = librosa.resample(
                signals, orig_sr=profile.sample_rate, target_sr=rate, res_type="soxr_hq", axis=-1
            )
        first = int(round(start * rate))
        piece = resampled[rate][:, first : first + width]
        out[row, : piece.shape[1]] = piece.T
    return out
