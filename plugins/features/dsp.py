"""`dsp`: hand-crafted rhythm and loudness descriptors of a window, for the `dsp-ridge` baseline.

The descriptors follow Spotify's own account of danceability ("tempo, rhythm stability, beat
strength, and overall regularity") with standard librosa tools: tempo, onset-strength
statistics, beat strength, pulse clarity from the predominant local pulse, tempogram
statistics, loudness and brightness. Computed on the mid channel, plus the side/mid ratio.
"""

from __future__ import annotations

import librosa
import numpy as np

from bench.audio import mid_side
from bench.profiles import Profile

NAME = "dsp"
VERSION = "5"
DESCRIPTION = "rhythm and loudness descriptors (tempo, onsets, beat strength, pulse clarity, RMS)"

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


def compute(window: np.ndarray, profile: Profile) -> np.ndarray:
    """(2, samples) stereo -> (len(DESCRIPTORS),) float32 descriptors."""
    sr, hop = profile.sample_rate, _hop(profile)
    mid, side = mid_side(window)
    # One spectrogram and one tempogram serve every descriptor (librosa would recompute each).
    spectrum = np.abs(librosa.stft(mid, n_fft=4 * hop, hop_length=hop))
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=spectrum**2, sr=sr))
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr)
    onset_mean = float(onset.mean()) + 1e-8
    win = min(384, len(onset))  # librosa's default 384 frames is longer than a quick window
    tempogram = librosa.feature.tempogram(onset_envelope=onset, sr=sr, hop_length=hop, win_length=win)
    tempo = float(librosa.feature.tempo(onset_envelope=onset, tg=tempogram, sr=sr, hop_length=hop)[0])
    _, beats = librosa.beat.beat_track(onset_envelope=onset, sr=sr, hop_length=hop, bpm=tempo)
    beat_strength = float(onset[beats].mean() / onset_mean) if len(beats) else 0.0
    pulse = librosa.beat.plp(onset_envelope=onset, sr=sr, hop_length=hop, win_length=win)
    profile_curve = tempogram[1:].mean(axis=1)  # lag 0 is always 1: leave it out
    p = profile_curve.clip(min=1e-8) / profile_curve.clip(min=1e-8).sum()
    rms_db = librosa.amplitude_to_db(librosa.feature.rms(S=spectrum, frame_length=4 * hop)[0] + 1e-8)
    side_db = 10 * np.log10((np.mean(side**2) + 1e-10) / (np.mean(mid**2) + 1e-10))
    centroid = librosa.feature.spectral_centroid(S=spectrum, sr=sr, n_fft=4 * hop)[0]
    flatness = librosa.feature.spectral_flatness(S=spectrum)[0]
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
