"""musicnn's input: a 16 kHz mono log-compressed 96-band mel spectrogram, cut into 3 s patches.

As musicnn's `extractor.batch_data`: librosa's mel power spectrogram (n_fft 512, hop 256, 96
Slaney bands, centred frames with reflect padding, the default of the librosa musicnn was
built with), quantised to float16 and compressed with log10(10000 x + 1). musicnn computed the
compression under numpy's old promotion rules, where `10000 * float16` is float32; here it is
written out in float32, since numpy 2 would keep float16 and overflow above x = 6.55.

A window is resampled to 16 kHz first (soxr, librosa's default); content above half the
harness's decode rate is absent (above 4 kHz under the `quick` profile's 8 kHz).
"""

from __future__ import annotations

import functools
import math

import numpy as np

SR = 16000
FFT_SIZE = 512
FFT_HOP = 256
N_MELS = 96
PATCH_SECONDS = 3.0
# librosa.time_to_frames(PATCH_SECONDS) + 1, without importing librosa (and numba) when plugins are listed
PATCH_FRAMES = int((PATCH_SECONDS * SR - FFT_SIZE // 2) // FFT_HOP) + 1  # 187
FLOAT16_MAX = float(np.finfo(np.float16).max)


@functools.lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=SR, n_fft=FFT_SIZE, n_mels=N_MELS)


def to_16k(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """A mono signal at `sample_rate` resampled to musicnn's 16 kHz."""
    import librosa

    mono = np.asarray(mono, dtype=np.float32)
    if sample_rate == SR:
        return mono
    return librosa.resample(mono, orig_sr=sample_rate, target_sr=SR, res_type="soxr_hq").astype(np.float32)


def log_mel(audio: np.ndarray) -> np.ndarray:
    """16 kHz mono -> (frames, 96) musicnn input: float16 mel power, log10(10000 x + 1) in float32."""
    import librosa

    spectrum = np.abs(librosa.stft(audio, n_fft=FFT_SIZE, hop_length=FFT_HOP, pad_mode="reflect")) ** 2
    power = (_mel_basis() @ spectrum).T
    quantised = np.minimum(power, FLOAT16_MAX).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * quantised + np.float32(1), dtype=np.float32)


def patches(spectrogram: np.ndarray, frames: int = PATCH_FRAMES) -> np.ndarray:
    """(T, 96) -> (n, frames, 96): the fewest patches that cover every frame, evenly spaced
    (overlapping where T is not a multiple of `frames`); a spectrogram shorter than one patch
    is repeated to fill it (musicnn's training used repeat-padding for short clips)."""
    total = len(spectrogram)
    if total == 0:
        raise ValueError("musicnn input: an empty spectrogram has no patch. Received: 0 frames")
    if total < frames:
        spectrogram = np.tile(spectrogram, (math.ceil(frames / total), 1))[:frames]
        total = frames
    count = math.ceil(total / frames)
    starts = np.round(np.linspace(0, total - frames, count)).astype(int)
    return np.stack([spectrogram[s : s + frames] for s in starts])


def musicnn_patches(spectrogram: np.ndarray, frames: int = PATCH_FRAMES) -> np.ndarray:
    """(T, 96) -> musicnn's own batching (`batch_data` without overlap): back-to-back patches
    from the start, the tail shorter than a patch dropped."""
    starts = range(0, len(spectrogram) - frames + 1, frames)
    return np.stack([spectrogram[s : s + frames] for s in starts]) if len(starts) else np.empty((0, frames, N_MELS))


def window_patches(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """A window's mono audio at `sample_rate` -> (n, 187, 96) float32 patches covering it."""
    return patches(log_mel(to_16k(mono, sample_rate))).astype(np.float32)
