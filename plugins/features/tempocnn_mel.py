"""`tempocnn-mel`: the input of Schreiber & Müller's tempo networks (the `tempocnn` package,
`tempocnn/feature.py`), for the `tempocnn` model.

As `tempocnn.feature.read_features`: the mono mix resampled to 11025 Hz (librosa's default
soxr_hq, as its `librosa.load(sr=11025)`), librosa's mel spectrogram with n_fft 1024, hop 512,
magnitude (power 1), 40 bands from 20 to 5000 Hz, unnormalised; fewer than 256 frames are
zero-padded at the end to 256; more are cut into 256-frame slices every 128 frames (a tail
shorter than a slice is dropped, as tempocnn does). One window gives (slices, 40, 256, 1):
one slice for a window of up to 11.9 s (a 5 s `quick` window fills 108 of its 256 frames),
four for a 30 s `paper` window.

What the harness's rate loses: the audio arrives at `profile.sample_rate` and is resampled
here. At 8 kHz (`quick`) nothing above 4 kHz survives, so the top mel bands (above 4 kHz) hold
only the resampler's leakage; at 22050 Hz (`paper`) the feature equals tempocnn's own from a
22050 Hz file. The networks' max normalisation is the model's (plugins/models/tempocnn.py).
"""

from __future__ import annotations

import functools
import math

import librosa
import numpy as np

from bench.intermediates import Spectrum
from bench.profiles import Profile

NAME = "tempocnn-mel"
VERSION = "1"
PROFILE_FIELDS = ()  # reads the window's own fields only: its rates and sizes are tempocnn's
DESCRIPTION = "tempocnn's input: 11025 Hz mono, 40-band mel magnitude (20-5000 Hz), 256-frame slices"

SAMPLE_RATE, N_FFT, HOP, N_MELS, FMIN, FMAX = 11025, 1024, 512, 40, 20.0, 5000.0
FRAMES, SLICE_HOP = 256, 128


def _frames(profile: Profile) -> int:
    """Mel frames of one window after resampling (centred frames, as librosa's stft)."""
    samples = math.ceil(profile.window_samples * SAMPLE_RATE / profile.sample_rate)
    return 1 + samples // HOP


def shape(profile: Profile) -> tuple[int, int, int, int]:
    frames = max(_frames(profile), FRAMES)
    return ((frames - FRAMES) // SLICE_HOP + 1, N_MELS, FRAMES, 1)


def slices(mel: np.ndarray, frames: int) -> np.ndarray:
    """(40, n) -> (slices, 40, 256, 1): padded or trimmed to `frames` (at least 256), then cut as tempocnn does."""
    length = max(frames, FRAMES)
    fitted = np.zeros((mel.shape[0], length), dtype=np.float32)
    fitted[:, : min(length, mel.shape[1])] = mel[:, :length]
    starts = range(0, (length - FRAMES) // SLICE_HOP * SLICE_HOP + 1, SLICE_HOP)
    return np.stack([fitted[:, s : s + FRAMES] for s in starts])[..., None]


def inputs(profile: Profile) -> dict[str, Spectrum]:
    """The STFT of the mono mix at 11025 Hz (librosa.stft's defaults), shared per window."""
    return {"stft": Spectrum(N_FFT, HOP, "mid", SAMPLE_RATE)}


@functools.lru_cache(maxsize=1)
def _basis() -> np.ndarray:
    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX)


def compute(window: np.ndarray, profile: Profile, shared: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo -> (slices, 40, 256, 1) mel magnitude of the mono mix at 11025 Hz
    (librosa.feature.melspectrogram with power 1, from the shared STFT)."""
    return slices(_basis() @ np.abs(shared["stft"]), _frames(profile))
