"""`dsp`: hand-crafted rhythm and loudness descriptors of a window, for the `dsp-ridge` baseline.

The descriptors follow Spotify's own account of danceability ("tempo, rhythm stability, beat
strength, and overall regularity") with standard librosa tools: tempo, onset-strength
statistics, beat strength, pulse clarity from the predominant local pulse, tempogram
statistics, loudness and brightness. Computed on the mid channel, plus the side/mid ratio.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np

from bench.intermediates import Audio, MelPower, Spectrum
from bench.profiles import Profile

NAME = "dsp"
VERSION = "8"  # 8: the pulse curve's FFTs in float32 (scipy.fft; same values to float rounding)
PROFILE_FIELDS = ()  # besides the window's own fields: what the cache key hashes
DESCRIPTION = "rhythm and loudness descriptors (tempo, onsets, beat strength, pulse clarity, RMS)"

ONSET_BANDS = 128  # librosa's onset_strength default
DESCRIPTORS = (
    "tempo_bpm",
    "log2_tempo",
    "onset_mean",
    "onset_std",
    "onset_p90",
    "beat_strength",
    "beat_count_per_s",
    "pulse_clarity_mean",
    "pulse_clarity_std",
    "tempogram_peak",
    "tempogram_entropy",
    "rms_db_mean",
    "rms_db_std",
    "side_to_mid_db",
    "centroid_hz_mean",
    "flatness_mean",
)


def shape(profile: Profile) -> tuple[int]:
    return (len(DESCRIPTORS),)


def _hop(profile: Profile) -> int:
    # About 43 onset frames per second at any rate, as librosa's default (512 at 22050 Hz).
    return max(64, int(2 ** np.round(np.log2(profile.sample_rate / 43))))


@functools.lru_cache(maxsize=8)
def _hann(length: int) -> np.ndarray:
    return librosa.filters.get_window("hann", length).astype(np.float32)


def _plp(onset: np.ndarray, sr: int, hop: int, win: int) -> np.ndarray:
    """librosa.beat.plp with its defaults (30-300 BPM, no prior) in plain float32 FFTs: the same
    pulse curve at a fraction of the cost of librosa's general STFT/ISTFT for this hop-1 transform.

    Fourier tempogram (hop 1, centred, zero-padded) within 30-300 BPM, keep each frame's peak bin
    only, normalise to phase, inverse by windowed overlap-add divided by the window's sum of
    squares, half-wave rectify, scale to a peak of 1."""
    import scipy.fft  # here: the workers compute, and listing plugins should not pay its import

    n, window = len(onset), _hann(win)
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(onset, win // 2), win)
    gram = scipy.fft.rfft(frames * window, axis=-1)
    bpm = librosa.fourier_tempo_frequencies(sr=sr, hop_length=hop, win_length=win)
    gram[:, (bpm < 30) | (bpm > 300)] = 0
    magnitude = np.log1p(1e6 * np.abs(gram))
    gram[magnitude < magnitude.max(axis=-1, keepdims=True)] = 0
    # As librosa: the denominator is the abs of numpy's (lexicographic) complex max.
    gram /= librosa.util.tiny(gram) ** 0.5 + np.abs(gram.max(axis=-1, keepdims=True))
    pieces = window * scipy.fft.irfft(gram, n=win, axis=-1)
    pulse = np.zeros(len(pieces) + win - 1, dtype=pieces.dtype)
    for start, piece in enumerate(pieces):
        pulse[start : start + win] += piece
    weight = np.convolve(np.ones(len(pieces), dtype=window.dtype), window**2)
    covered = weight > librosa.util.tiny(weight)
    pulse[covered] /= weight[covered]
    pulse = np.clip(pulse[win // 2 : win // 2 + n], 0, None)
    peak = pulse.max(initial=0.0)
    return pulse / peak if peak > librosa.util.tiny(pulse) else pulse


def inputs(profile: Profile) -> dict[str, Audio | Spectrum | MelPower]:
    """Mid and side, the mid channel's STFT (n_fft 4 x hop) and its 128-band mel power
    (librosa's default bands), shared with any feature of the window that declares the same."""
    hop = _hop(profile)
    return {
        "mid": Audio("mid"),
        "side": Audio("side"),
        "stft": Spectrum(4 * hop, hop, "mid"),
        "mel": MelPower(ONSET_BANDS, 4 * hop, hop, "mid"),
    }


def compute(window: np.ndarray, profile: Profile, shared: dict[str, np.ndarray]) -> np.ndarray:
    """(2, samples) stereo -> (len(DESCRIPTORS),) float32 descriptors."""
    sr, hop = profile.sample_rate, _hop(profile)
    n_fft = 4 * hop
    mid, side = shared["mid"], shared["side"]
    # One spectrogram and one tempogram serve every descriptor (librosa would recompute each).
    spectrum = np.abs(shared["stft"])
    power = spectrum**2
    mel_db = librosa.power_to_db(shared["mel"])
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr)
    onset_mean = float(onset.mean()) + 1e-8
    win = min(384, len(onset))  # librosa's default 384 frames is longer than a quick window
    tempogram = librosa.feature.tempogram(onset_envelope=onset, sr=sr, hop_length=hop, win_length=win)
    tempo = float(librosa.feature.tempo(onset_envelope=onset, tg=tempogram, sr=sr, hop_length=hop)[0])
    _, beats = librosa.beat.beat_track(onset_envelope=onset, sr=sr, hop_length=hop, bpm=tempo)
    beat_strength = float(onset[beats].mean() / onset_mean) if len(beats) else 0.0
    pulse = _plp(onset, sr, hop, win)
    profile_curve = tempogram[1:].mean(axis=1)  # lag 0 is always 1: leave it out
    p = profile_curve.clip(min=1e-8) / profile_curve.clip(min=1e-8).sum()
    rms_db = librosa.amplitude_to_db(librosa.feature.rms(S=spectrum, frame_length=n_fft)[0] + 1e-8)
    side_db = 10 * np.log10((np.mean(side**2) + 1e-10) / (np.mean(mid**2) + 1e-10))
    # Spectral centroid and flatness as librosa computes them, from the spectrum already at hand.
    totals = spectrum.sum(axis=0)
    totals[totals < librosa.util.tiny(totals)] = 1.0
    centroid = librosa.fft_frequencies(sr=sr, n_fft=n_fft) @ spectrum / totals
    floored = np.maximum(1e-10, power)
    flatness = np.exp(np.log(floored).mean(axis=0)) / floored.mean(axis=0)
    values = [
        tempo,
        np.log2(max(tempo, 1.0)),
        onset_mean,
        float(onset.std()),
        float(np.percentile(onset, 90)),
        beat_strength,
        len(beats) / profile.window_seconds,
        float(pulse.mean()),
        float(pulse.std()),
        float(profile_curve.max()),
        float(-(p * np.log(p)).sum()),
        float(rms_db.mean()),
        float(rms_db.std()),
        float(side_db),
        float(centroid.mean()),
        float(flatness.mean()),
    ]
    return np.nan_to_num(np.asarray(values, dtype=np.float32))
