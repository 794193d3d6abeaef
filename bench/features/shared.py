"""One window's intermediates (bench.intermediates), each computed at its first request and then
handed, the same array, to every feature that declared it; the feature stage makes one of these
per window, so a decoded channel, a resampled one, an STFT or a mel power is computed once for
all the window's features."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

import numpy as np
import scipy.fft

from bench.features.audio import mid_side
from bench.intermediates import CHANNELS, Audio, Intermediate, MelPower, Spectrum


@functools.lru_cache(maxsize=16)
def hann(n_fft: int) -> np.ndarray:
    """The periodic Hann window librosa's STFT uses, float32."""
    import librosa  # in the workers only: importing it loads numba's cached kernels (bench.features.pool)

    return librosa.filters.get_window("hann", n_fft).astype(np.float32)


@functools.lru_cache(maxsize=16)
def mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa's mel filterbank, built once per shape (building it costs more than applying it)."""
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)


def stft(signal: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """(samples,) -> complex64 (1 + n_fft // 2, frames): centred, zero-padded, periodic Hann, as
    librosa.stft's defaults, but in float32 with scipy's rfft (numpy's works in float64)."""
    padded = np.pad(np.asarray(signal, np.float32), n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    return scipy.fft.rfft(frames * hann(n_fft), axis=-1).T


class WindowInputs:
    """The intermediates of one (2, samples) stereo window decoded at `sample_rate`.

    `declared` is every intermediate the window's features declared: a Spectrum (a MelPower's
    too) is cut from the finest declared one of the same channel, rate and n_fft whose hop
    divides its own."""

    def __init__(self, window: np.ndarray, sample_rate: int, declared: Iterable[Intermediate] = ()):
        self.window, self.sample_rate = window, sample_rate
        spectra = {self._plain(d.spectrum() if isinstance(d, MelPower) else d) for d in declared}
        self._spectra = sorted((s for s in spectra if isinstance(s, Spectrum)), key=lambda s: s.hop)
        self._made: dict[Intermediate, np.ndarray] = {}
        self._channels: np.ndarray | None = None

    def get(self, record: Intermediate) -> np.ndarray:
        """The intermediate's array for this window, computed once and read-only (the features share it)."""
        record = self._plain(record)
        if record not in self._made:
            array = self._compute(record)
            array.flags.writeable = False
            self._made[record] = array
        return self._made[record]

    def _rate(self, rate: int | None) -> int:
        return self.sample_rate if rate is None else rate

    def _plain(self, record: Intermediate) -> Intermediate:
        """The record with its rate left out where it is the decode rate (one entry for both spellings)."""
        return dataclasses.replace(record, rate=None) if record.rate == self.sample_rate else record

    def _compute(self, record: Intermediate) -> np.ndarray:
        if isinstance(record, Audio):
            return self._audio(record)
        if isinstance(record, Spectrum):
            return self._spectrum(record)
        if isinstance(record, MelPower):
            spectrum = self.get(record.spectrum())
            power = spectrum.real**2 + spectrum.imag**2
            return mel_basis(self._rate(record.rate), record.n_fft, record.n_mels) @ power
        raise TypeError(f"not an intermediate of bench.intermediates: {record!r}")

    def _audio(self, record: Audio) -> np.ndarray:
        if self._channels is None:
            self._channels = mid_side(np.asarray(self.window, np.float32))
        signal = self._channels[CHANNELS.index(record.channel)]
        if record.rate is None:
            return signal
        import librosa

        resampled = librosa.resample(signal, orig_sr=self.sample_rate, target_sr=record.rate, res_type="soxr_hq")
        return resampled.astype(np.float32, copy=False)

    def _spectrum(self, record: Spectrum) -> np.ndarray:
        for finer in self._spectra:
            same = (finer.n_fft, finer.channel, finer.rate) == (record.n_fft, record.channel, record.rate)
            if same and finer.hop < record.hop and record.hop % finer.hop == 0:
                return self.get(finer)[:, :: record.hop // finer.hop]
        return stft(self.get(Audio(record.channel, record.rate)), record.n_fft, record.hop)
