"""The beat grid of one window, shared by `wav-beats` and `mel-beats` (tempo-synced stacking).

The seed paper's 2DWav and 3DSpec stack fixed slices of a window; its section 7 proposes cutting
them at beat boundaries instead, so that row i of the stack holds beat i. `grid` tracks the beats
of the window's mid channel with librosa (onset strength, `librosa.beat.beat_track`) and returns
the start and length in seconds of each row:

* Stable beat: row i spans beat i to beat i + 1 (full beats only, from the window's first
  tracked beat). A window holds `rows(profile)` rows, the beats it would hold at REFERENCE_BPM;
  beats past that are dropped, and rows past the window's last full beat are left empty (the
  features fill them with silence, so a slow song fills fewer rows).
* No stable beat (the `Grid.stable` flag is False): fixed slicing in the same layout, the rows
  a steady REFERENCE_BPM beat from the window's start would give (back-to-back slices of 0.5 s,
  unresampled). The window is kept, so the beat-synced and the fixed models are scored on the
  same windows and songs.

A beat is stable when the tracker finds at least MIN_BEATS beats, their intervals vary little
(coefficient of variation at most MAX_INTERVAL_CV) and the onset envelope repeats at the beat
period (its autocorrelation at that lag is at least MIN_PULSE_CLARITY). The last test is what
rejects noise: librosa's tracker lays an evenly spaced grid on anything, noise included.

A run does not say how many windows fell back; count them beforehand with
`python -m bench_plugins.features.beat_census FILE...` (the windows a run would cut, at a profile).

Beats are tracked per window because a feature transform sees one window (the harness caches
features per window and `bench predict` scores windows); a song's tempo is not known to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import librosa
import numpy as np

from bench.intermediates import MelPower
from bench.profiles import Profile

REFERENCE_BPM = 120.0  # the tempo at which one row holds exactly the samples/frames of its beat
MIN_BEATS = 4  # fewer tracked beats (3 rows) is no grid
MAX_INTERVAL_CV = 0.1  # std / mean of the inter-beat intervals
MIN_PULSE_CLARITY = 0.2  # normalised autocorrelation of the onset envelope at the beat period
ONSET_BANDS = 128  # librosa's onset_strength default
ONSET_RATE = 86.0
BACKTRACK_S = 0.05  # onset frames per second, about librosa's default at 22050 Hz with hop 256


@dataclass(frozen=True)
class Grid:
    """Where each row of a window's stack starts and how long it lasts, in seconds."""

    starts: np.ndarray
    lengths: np.ndarray
    stable: bool  # False: the fixed fallback grid


def rows(profile: Profile) -> int:
    """Rows of a stack: the beats a window holds at REFERENCE_BPM."""
    return max(1, int(round(profile.window_seconds * REFERENCE_BPM / 60.0)))


def onset_hop(sample_rate: int) -> int:
    """A power-of-two hop near ONSET_RATE frames per second (128 at 8 kHz, 256 at 22050 Hz)."""
    return max(32, int(2 ** np.round(np.log2(sample_rate / ONSET_RATE))))


def fixed_grid(profile: Profile) -> Grid:
    """The fallback: back-to-back slices of one reference beat from the window's start."""
    period = 60.0 / REFERENCE_BPM
    count = rows(profile)
    return Grid(np.arange(count) * period, np.full(count, period), stable=False)


def onset_input(profile: Profile) -> MelPower:
    """The mel power the beats are tracked on: the mid channel's, librosa's onset bands, n_fft 4 x hop."""
    hop = onset_hop(profile.sample_rate)
    return MelPower(ONSET_BANDS, 4 * hop, hop, "mid")


def track(power: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """(beat times in seconds, pulse clarity) from a window's `onset_input` mel power.

    librosa's onset strength and beat tracker with their defaults (128 mel bands, tempo from
    the tempogram), but the mel power in float32, shared per window (bench.intermediates),
    and a tempogram no longer than the window: 6x cheaper."""
    hop = onset_hop(sample_rate)
    db = librosa.power_to_db(power)
    envelope = librosa.onset.onset_strength(S=db, sr=sample_rate, hop_length=hop, n_fft=4 * hop)
    if not envelope.any():
        return np.empty(0), 0.0
    win = min(384, len(envelope))  # librosa's default tempogram is longer than a quick window
    tempo = librosa.feature.tempo(
        onset_envelope=envelope, sr=sample_rate, hop_length=hop, ac_size=win * hop / sample_rate
    )
    _, frames = librosa.beat.beat_track(onset_envelope=envelope, sr=sample_rate, hop_length=hop, bpm=tempo)
    if len(frames) < 2:
        return librosa.frames_to_time(frames, sr=sample_rate, hop_length=hop), 0.0
    clarity = pulse_clarity(envelope, float(np.median(np.diff(frames))))
    # The tracker marks a beat at the onset's peak, 10-20 ms into the attack; a slice should
    # start before it. Roll each beat back to the envelope's preceding minimum (librosa's
    # onset_backtrack, made for slicing), by at most BACKTRACK_S.
    most = int(round(BACKTRACK_S * sample_rate / hop))
    frames = np.maximum(librosa.onset.onset_backtrack(frames, envelope), frames - most)
    return librosa.frames_to_time(frames, sr=sample_rate, hop_length=hop), clarity


def pulse_clarity(envelope: np.ndarray, period: float) -> float:
    """The onset envelope's normalised autocorrelation at the beat period (its best lag within
    one frame of it): near 0 for noise, towards 1 for a steady pulse."""
    centred = envelope - envelope.mean()
    energy = float(centred @ centred)
    if energy <= 0:
        return 0.0
    lags = [lag for lag in range(int(period) - 1, int(np.ceil(period)) + 2) if 0 < lag < len(centred)]
    return max((float(centred[:-lag] @ centred[lag:]) / energy for lag in lags), default=0.0)


def is_stable(beats: np.ndarray, clarity: float) -> bool:
    """The stated rule: enough beats, even intervals and a clear pulse."""
    if len(beats) < MIN_BEATS:
        return False
    intervals = np.diff(beats)
    return float(intervals.std() / intervals.mean()) <= MAX_INTERVAL_CV and clarity >= MIN_PULSE_CLARITY


def grid(power: np.ndarray, profile: Profile) -> Grid:
    """The rows of the window whose `onset_input` mel power this is: its beats when stable,
    else the fixed grid.

    The feature stage computes a window's features one after the other, so `wav-beats` and
    `mel-beats` ask for the same window's grid in turn: the last grid is kept (keyed on the
    power's bytes) and beats are tracked once, not twice."""
    key = hashlib.blake2b(np.ascontiguousarray(power).tobytes(), digest_size=16)
    key.update(repr((power.shape, profile.sample_rate, rows(profile))).encode())
    if key.digest() in _last:
        return _last[key.digest()]
    beats, clarity = track(power, profile.sample_rate)
    if is_stable(beats, clarity):
        beats = beats[: rows(profile) + 1]
        found = Grid(beats[:-1], np.diff(beats), stable=True)
    else:
        found = fixed_grid(profile)
    _last.clear()
    _last[key.digest()] = found
    return found


_last: dict[bytes, Grid] = {}  # the last window's grid, by its key
