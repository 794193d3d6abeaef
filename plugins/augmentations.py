"""Built-in augmentations of training windows: additive noise, EQ tilt, gain and time shift.

Each has a waveform version (on `wav`: mid/side samples, channels last) and a feature-level
version (on `mel`: log-mel in dB, bands x frames x channels), drawn once per window from the
trial's seeded generator. They act on the raw features, before the trial normalises them.

Which labels each keeps valid, and why:

- `noise` adds white noise at 20 dB SNR per window and channel: rhythm, tempo and level
  (+0.04 dB) survive, but a flat noise floor lifts the high bands, so it refuses `brightness`.
- `tilt` is an EQ tilt of up to about 7 dB between the lowest and highest frequencies, with the
  window's power restored afterwards: it moves the spectral balance, so it refuses `brightness`.
- `gain` scales the level by -6..+6 dB: it changes loudness, so it refuses `energy` (which
  the synthetic corpus derives from loudness) and `loudness`. Per-window normalisation
  (`paper`, `zscore`) erases a gain change entirely; it matters under `train` or `none`.
- `shift` rolls the window along time by a uniform offset, the end wrapping round to the start:
  tempo, rhythm, level and spectrum are those of the window, so it refuses nothing; the one
  seam is where the window's end meets its start.

Time-stretching is not offered: it changes tempo, and with it danceability, and rescaling a
tempo label would need every source to say which labels scale how. Pitch-shift is not
offered either (it moves key and timbre, which no built-in target is about).
"""

from __future__ import annotations

import functools

import librosa
import numpy as np

from bench import hookimpl
from bench.profiles import Profile
from bench.specs import AugmentationSpec

NOISE_SNR_DB = 20.0
TILT_MAX = 0.4  # first-order coefficient: DC gain 1 - b, Nyquist 1 + b (7.4 dB apart at 0.4)
TILT_MAX_DB = 7.0  # mel: the largest gain difference between the lowest and highest band
GAIN_MAX_DB = 6.0
MEL_FLOOR_DB = -100.0  # the mel feature's floor (plugins/features/mel.py)

LOUDNESS = "it changes the level, which this label measures or is derived from"
SPECTRAL = "it changes the spectral balance, which this label measures"


def _per_window(rng: np.random.Generator, batch: np.ndarray, low: float, high: float) -> np.ndarray:
    """One uniform draw per window, shaped to broadcast over the window's other axes."""
    return rng.uniform(low, high, size=(len(batch),) + (1,) * (batch.ndim - 1))


# ---------------------------------------------------------------------------- noise
def noise_wav(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """White Gaussian noise at NOISE_SNR_DB below each window's power, channel by channel."""
    power = np.mean(batch.astype(np.float64) ** 2, axis=1, keepdims=True)  # (windows, 1, channels)
    sigma = np.sqrt(power / 10 ** (NOISE_SNR_DB / 10))
    return (batch + sigma * rng.standard_normal(batch.shape)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _noise_bands(sample_rate: int, n_fft: int, n_mels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per mel band: white noise's relative mel power (the filter's weight sum) and the shape
    of its frame-to-frame spread (a gamma with the band's effective number of FFT bins)."""
    basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels).astype(np.float64)
    weight = basis.sum(axis=1)
    bins = weight**2 / np.maximum((basis**2).sum(axis=1), 1e-30)
    return weight / weight.sum(), np.maximum(bins, 1.0)


def noise_mel(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """White noise at NOISE_SNR_DB in the mel power domain: each band gets white noise's mel
    power (its share of the filterbank's weight), fluctuating frame by frame as a sum of that
    band's FFT bins would, added to the window's power and turned back into dB."""
    share, bins = _noise_bands(profile.sample_rate, profile.n_fft, profile.n_mels)
    power = 10.0 ** (batch.astype(np.float64) / 10)
    total = power.sum(axis=1, keepdims=True).mean(axis=2, keepdims=True)  # per window and channel
    level = total / 10 ** (NOISE_SNR_DB / 10)
    spread = rng.gamma(bins[:, None, None], 1 / bins[:, None, None], size=batch.shape)
    noisy = power + level * share[:, None, None] * spread
    return np.maximum(10 * np.log10(noisy), MEL_FLOOR_DB).astype(np.float32)


# ---------------------------------------------------------------------------- tilt
def tilt_wav(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """y[n] = x[n] - b x[n-1], b uniform in ±TILT_MAX per window (the same on both channels),
    then scaled back to the window's power."""
    x = batch.astype(np.float64)
    b = _per_window(rng, x, -TILT_MAX, TILT_MAX)
    y = x.copy()
    y[:, 1:] -= b * x[:, :-1]
    before, after = (np.mean(v**2, axis=(1, 2), keepdims=True) for v in (x, y))
    return (y * np.sqrt(before / np.maximum(after, 1e-30))).astype(np.float32)


def tilt_mel(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """A per-band gain slope of up to ±TILT_MAX_DB/2 at the band edges, then the window's
    power restored."""
    x = batch.astype(np.float64)
    slope = _per_window(rng, x, -TILT_MAX_DB, TILT_MAX_DB)
    y = x + slope * np.linspace(-0.5, 0.5, x.shape[1])[None, :, None, None]
    before, after = (np.log10(np.mean(10 ** (v / 10), axis=(1, 2, 3), keepdims=True)) for v in (x, y))
    return np.maximum(y + 10 * (before - after), MEL_FLOOR_DB).astype(np.float32)


# ---------------------------------------------------------------------------- gain
def gain_wav(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """The window's samples scaled by -GAIN_MAX_DB..+GAIN_MAX_DB."""
    return (batch * 10 ** (_per_window(rng, batch, -GAIN_MAX_DB, GAIN_MAX_DB) / 20)).astype(np.float32)


def gain_mel(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """The window's log-mel shifted by -GAIN_MAX_DB..+GAIN_MAX_DB (silence stays at the floor)."""
    shifted = batch + _per_window(rng, batch, -GAIN_MAX_DB, GAIN_MAX_DB)
    return np.maximum(shifted, MEL_FLOOR_DB).astype(np.float32)


# ---------------------------------------------------------------------------- shift
def _roll(batch: np.ndarray, rng: np.random.Generator, axis: int) -> np.ndarray:
    """Each window rolled along `axis` (counted with the batch axis) by its own uniform offset."""
    length = batch.shape[axis]
    offsets = rng.integers(0, length, size=len(batch))
    shape = [1] * batch.ndim
    shape[0], shape[axis] = len(batch), length
    index = (np.arange(length)[None, :] + offsets[:, None]) % length
    return np.take_along_axis(batch, index.reshape(shape), axis=axis).astype(np.float32)


def shift_wav(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """Each window's samples rolled in time (both channels together)."""
    return _roll(batch, rng, axis=1)


def shift_mel(batch: np.ndarray, rng: np.random.Generator, profile: Profile) -> np.ndarray:
    """Each window's frames rolled in time (every band and channel together)."""
    return _roll(batch, rng, axis=2)


BUILT_IN = (
    AugmentationSpec(
        "noise",
        f"white noise at {NOISE_SNR_DB:g} dB SNR per window and channel (wav: samples; mel: mel power)",
        {"wav": noise_wav, "mel": noise_mel},
        refuses={"brightness": "a flat noise floor lifts the high bands, " + SPECTRAL},
    ),
    AugmentationSpec(
        "tilt",
        "EQ tilt up to ~7 dB low-to-high, power kept (wav: x[n] - b x[n-1], |b| <= 0.4; mel: a dB slope across bands)",
        {"wav": tilt_wav, "mel": tilt_mel},
        refuses={"brightness": SPECTRAL},
    ),
    AugmentationSpec(
        "gain",
        f"level change of ±{GAIN_MAX_DB:g} dB (erased by per-window normalisation; matters under train/none)",
        {"wav": gain_wav, "mel": gain_mel},
        refuses={"energy": LOUDNESS, "loudness": LOUDNESS},
    ),
    AugmentationSpec(
        "shift",
        "circular time shift by a uniform offset per window (wav: samples; mel: frames)",
        {"wav": shift_wav, "mel": shift_mel},
    ),
)


@hookimpl
def bench_augmentations() -> list[AugmentationSpec]:
    return list(BUILT_IN)
