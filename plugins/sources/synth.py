"""Synthetic music corpus: real stereo FLAC songs plus a labels CSV, so the harness runs offline.

Every song is drums (kick, snare, hi-hat, shaker), a bass line and a chord pad, synthesised with
numpy from per-song random draws. The audio is built so that the study's questions can be asked
of it:

* Label causes. ``tempo`` (uniform 70..180 BPM), ``beat_strength`` (0..1, the level of the
  drums, above all kick and snare, relative to pad and bass), ``regularity`` (0..1; below 1
  onsets get up to +-60 ms of timing jitter, uneven velocities, dropped hits and extra random
  hits) and ``loudness`` (0..1, the song's overall level and its shaker density).
* Sections. Every song has a breakdown of a few bars, at a song-dependent bar, where the drums
  stop and only pad, bass and drone play (recurring every 16 bars in long songs), so the windows
  of one song differ.
* Stereo. Kick, bass and drone sit in the centre; hi-hats are panned by a per-song amount and
  the shaker sits opposite; the pad is widened by a short inter-channel delay. The side signal
  (L-R)/2 therefore carries drum information.
* Artists. Songs are dealt round-robin (then shuffled) to ``max(2, songs // 4)`` artists. An
  artist fixes the pad's waveform and brightness, the bass octave and waveform and the drum
  kit's tuning and noise colour; each song varies these slightly.
* Song identity unrelated to the labels. From a separate random stream, each song draws a key
  (pitch class of drone, chords and bass), a chord progression, a drone colour, a spectral tilt
  of the whole mix, its hi-hat pan and its pad width. A model can learn which song a window
  comes from, which is what makes window-level train/test splits leak, yet none of it predicts
  the labels.

Labels (written to ``labels.csv`` with 4 decimals)::

    danceability = 0.1 + 0.8 * (0.35 * exp(-((tempo - 120) / 40) ** 2)
                                + 0.35 * beat_strength + 0.30 * regularity)
    energy       = clip(0.5 * loudness + 0.3 * beat_strength + 0.2 * (tempo - 70) / 110, 0, 1)
    tempo        = the song's BPM

Cues (``cues()``, computed from the songs' plans, not from the audio, so they add nothing to
the rendered files or labels.csv): the label causes ``beat_strength``, ``regularity`` and
``loudness`` (0..1) beside ``tempo``; ``brightness`` (0..1, the song's spectral tilt, dark to
bright); and ``control``, a uniform 0..1 number drawn from a stream no rendering step reads, so no
audio property predicts it: a model can score on it only by recognising songs it trained on (a
leaky split). ``bench hearing`` asks each model to predict each cue.

Danceability follows Spotify's description ("a combination of musical elements including tempo,
rhythm stability, beat strength, and overall regularity"): it lies in 0.1..0.9 and peaks at
120 BPM.

Levels: each mix is scaled to an RMS of -23..-13 dBFS set by ``loudness`` and only its peaks
are soft-limited below 0.9 of full scale, so the energy and beat-strength cues survive mastering.

Rendering is deterministic: the same arguments give bit-identical files, and song ``k`` does not
depend on how many songs are rendered (only the artist assignment does).
"""

from __future__ import annotations

import csv
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

LABEL_COLUMNS = ("danceability", "energy", "tempo")
CUE_COLUMNS = ("tempo", "beat_strength", "regularity", "loudness", "brightness", "control")

_CSV_COLUMNS = ("track_id", "artist", "file", *LABEL_COLUMNS)
_TEMPO_RANGE = (70.0, 180.0)
_MAX_JITTER_S = 0.06  # timing jitter at regularity 0
_DROP_AT_ZERO = 0.35  # share of grid hits dropped at regularity 0
_EXTRA_AT_ZERO = 0.12  # chance per empty 16th step of a random extra hit at regularity 0
_RMS_DB = (-23.0, -13.0)  # mix RMS at loudness 0 and 1
_CEILING = 0.9  # peaks are soft-limited below this
_KNEE = 0.6  # the limiter is exactly linear below this level
_TILT_RANGE = (-0.2, 0.2)  # spectral tilt of the whole mix, darker .. brighter
_TABLE_SIZE = 4096  # wavetable length (a power of two, for cheap wrapping)
_PAD_MIDI = 57  # lowest pad root (A3)
_PAD_FADE_S = 0.04  # cross-fade between the pad's bars
_BREAKDOWN_CYCLE_BARS = 16
_STEPS_PER_BAR = 16  # 4/4 time on a 16th-note grid

# Chord progressions, one chord per bar: (root in semitones above the key, third in semitones).
_PROGRESSIONS = (
    ((0, 4), (7, 4), (9, 3), (5, 4)),
    ((0, 4), (5, 4), (7, 4), (5, 4)),
    ((9, 3), (5, 4), (0, 4), (7, 4)),
    ((0, 3), (8, 4), (3, 4), (10, 4)),
    ((0, 3), (5, 3), (10, 4), (3, 4)),
)
_KICK_PATTERNS = ((0, 8), (0, 8, 10), (0, 6, 8), (0, 3, 8, 11))
_SNARE_PATTERN = (4, 12)
_HAT_PATTERN = (0, 2, 4, 6, 8, 10, 12, 14)


@dataclass(frozen=True)
class _Palette:
    """An artist's timbre: shared by the artist's songs, with small per-song variations."""

    pad_rolloff: float  # pad harmonic k has amplitude k**-rolloff: lower is brighter
    pad_odd_only: bool  # square-like (odd harmonics only) rather than saw-like pad
    bass_octave: int  # MIDI octave of the bass notes
    bass_harmonics: int  # 1 is a sine bass; more is buzzier
    kick_hz: float  # pitch the kick's sweep settles on
    kick_decay_s: float
    snare_hz: float  # the snare's tonal body
    noise_hz: float  # centre of the snare noise; hats and shaker sit above it


@dataclass(frozen=True)
class _SongPlan:
    """Everything drawn for one song; rendering adds only its hit-level randomness."""

    index: int
    track_id: str
    artist: str
    seconds: float
    palette: _Palette
    # Label causes
    tempo: float
    beat_strength: float
    regularity: float
    loudness: float
    # Song identity, drawn from a stream independent of the label causes
    key: int
    progression: tuple[tuple[int, int], ...]
    kick_pattern: tuple[int, ...]
    bass_pattern: tuple[int, ...]  # semitones above the chord root per 8th note; -1 is a rest
    shaker_pattern: tuple[int, ...]
    drone_harmonics: tuple[float, ...]
    drone_level: float
    drone_wobble_hz: float
    tilt: float  # _TILT_RANGE: darker .. brighter
    hat_pan: float  # -1 left .. 1 right; the shaker sits opposite
    pad_width: float
    pad_delay_s: float
    # Sections: bars b with (b % cycle) in [offset, offset + bars) are a breakdown
    breakdown_cycle: int
    breakdown_offset: int
    breakdown_bars: int

    @property
    def bar_seconds(self) -> float:
        return 4 * 60.0 / self.tempo

    def in_breakdown(self, seconds: np.ndarray) -> np.ndarray:
        """Whether each time (in seconds) falls in a breakdown."""
        bar = np.floor(np.asarray(seconds) / self.bar_seconds).astype(np.int64)
        offset = bar % self.breakdown_cycle - self.breakdown_offset
        return (offset >= 0) & (offset < self.breakdown_bars)


def danceability(tempo_bpm: float, beat_strength: float, regularity: float) -> float:
    """Danceability in 0.1..0.9, smooth, peaking at 120 BPM.

    ``0.1 + 0.8 * (0.35 * exp(-((tempo - 120) / 40) ** 2) + 0.35 * beat_strength
    + 0.30 * regularity)``, with beat_strength and regularity in 0..1.
    """
    tempo_score = float(np.exp(-(((tempo_bpm - 120.0) / 40.0) ** 2)))
    return 0.1 + 0.8 * (0.35 * tempo_score + 0.35 * beat_strength + 0.30 * regularity)


def _energy(loudness: float, beat_strength: float, tempo_bpm: float) -> float:
    """Energy: ``clip(0.5 * loudness + 0.3 * beat_strength + 0.2 * (tempo - 70) / 110, 0, 1)``."""
    value = 0.5 * loudness + 0.3 * beat_strength + 0.2 * (tempo_bpm - 70.0) / 110.0
    return float(np.clip(value, 0.0, 1.0))


def render_corpus(folder: Path, songs: int, seconds: float, seed: int, sample_rate: int = 22050) -> Path:
    """Render `songs` stereo songs of `seconds` each into folder/audio/<track_id>.flac and write
    folder/labels.csv; return the CSV path.

    Deterministic: same arguments -> bit-identical files. Each file is written atomically and
    labels.csv last (an old one is removed first), so a folder with labels.csv is complete.
    """
    if songs < 1 or seconds <= 0:
        raise ValueError(f"need songs >= 1 and seconds > 0, got songs={songs}, seconds={seconds}")
    folder = Path(folder)
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    csv_path = folder / "labels.csv"
    csv_path.unlink(missing_ok=True)
    rows = []
    for plan in _plan_corpus(songs, seconds, seed):
        relative = f"audio/{plan.track_id}.flac"
        _write_flac(folder / relative, _render_song(plan, seed, sample_rate), sample_rate)
        rows.append(
            (
                plan.track_id,
                plan.artist,
                relative,
                danceability(plan.tempo, plan.beat_strength, plan.regularity),
                _energy(plan.loudness, plan.beat_strength, plan.tempo),
                plan.tempo,
            )
        )
    _write_labels(csv_path, rows)
    return csv_path


def cues(songs: int, seconds: float, seed: int) -> dict[str, dict[str, float]]:
    """Per track id, the cues each song was generated from (CUE_COLUMNS), for the hearing test.
    Computed from the plans alone: nothing is rendered."""
    low, high = _TILT_RANGE
    return {
        plan.track_id: {
            "tempo": plan.tempo,
            "beat_strength": plan.beat_strength,
            "regularity": plan.regularity,
            "loudness": plan.loudness,
            "brightness": (plan.tilt - low) / (high - low),
            # Its own stream, read by no rendering step: the memorisation control.
            "control": float(np.random.default_rng([seed, 2, plan.index, 3]).random()),
        }
        for plan in _plan_corpus(songs, seconds, seed)
    }


# ---------------------------------------------------------------------------------------------
# Planning: every random draw that defines a song


def _plan_corpus(songs: int, seconds: float, seed: int) -> list[_SongPlan]:
    """The plans of all songs: artists dealt round-robin, then shuffled."""
    n_artists = max(2, songs // 4)
    artists = np.random.default_rng([seed, 0]).permutation(np.arange(songs) % n_artists)
    palettes = [_artist_palette(seed, a) for a in range(n_artists)]
    return [_plan_song(seed, i, int(a), palettes[a], seconds) for i, a in enumerate(artists)]


def _artist_palette(seed: int, artist: int) -> _Palette:
    """The timbre palette of one artist."""
    rng = np.random.default_rng([seed, 1, artist])
    return _Palette(
        pad_rolloff=rng.uniform(0.8, 2.2),
        pad_odd_only=bool(rng.random() < 0.5),
        bass_octave=int(rng.integers(1, 3)),
        bass_harmonics=int(rng.integers(1, 6)),
        kick_hz=rng.uniform(42.0, 65.0),
        kick_decay_s=rng.uniform(0.12, 0.3),
        snare_hz=rng.uniform(160.0, 260.0),
        noise_hz=rng.uniform(1200.0, 3500.0),
    )


def _plan_song(seed: int, index: int, artist: int, palette: _Palette, seconds: float) -> _SongPlan:
    """One song's draws. Song `index` gets the same draws whatever the corpus size."""
    # Separate streams keep the song-identity draws independent of the label causes.
    causes = np.random.default_rng([seed, 2, index, 0])
    identity = np.random.default_rng([seed, 2, index, 1])
    tempo = causes.uniform(*_TEMPO_RANGE)
    beat_strength, regularity, loudness = causes.random(3)

    progression = _PROGRESSIONS[identity.integers(len(_PROGRESSIONS))]
    bars = int(np.ceil(seconds / (4 * 60.0 / tempo)))
    cycle = min(_BREAKDOWN_CYCLE_BARS, bars)
    breakdown_bars = int(np.clip(round(identity.uniform(0.15, 0.3) * cycle), 1, max(1, cycle - 1)))
    # Never in a cycle's first bar, so every song opens with drums (and a song shorter than two
    # bars has no breakdown at all).
    breakdown_offset = int(identity.integers(1, max(2, cycle - breakdown_bars)))
    return _SongPlan(
        index=index,
        track_id=f"song-{index:03d}",
        artist=f"artist-{artist:02d}",
        seconds=seconds,
        palette=_vary(palette, identity),
        tempo=tempo,
        beat_strength=float(beat_strength),
        regularity=float(regularity),
        loudness=float(loudness),
        key=int(identity.integers(12)),
        progression=progression,
        kick_pattern=_KICK_PATTERNS[identity.integers(len(_KICK_PATTERNS))],
        bass_pattern=_bass_pattern(identity),
        # The shaker's density is the one identity draw that follows a label cause (loudness).
        shaker_pattern=tuple(int(s) for s in np.flatnonzero(identity.random(_STEPS_PER_BAR) < loudness)),
        drone_harmonics=tuple(identity.uniform(0.0, 0.6, 3)),
        # Identity cues are kept quiet: enough to recognise a song (the leak), too quiet to
        # mask the rhythm that the labels depend on.
        drone_level=identity.uniform(0.02, 0.06),
        drone_wobble_hz=identity.uniform(0.1, 0.6),
        tilt=identity.uniform(*_TILT_RANGE),
        hat_pan=float(identity.choice([-1.0, 1.0]) * identity.uniform(0.25, 0.8)),
        pad_width=identity.uniform(0.2, 0.6),
        pad_delay_s=identity.uniform(0.0004, 0.002),
        breakdown_cycle=cycle,
        breakdown_offset=breakdown_offset,
        breakdown_bars=breakdown_bars,
    )


def _vary(palette: _Palette, rng: np.random.Generator) -> _Palette:
    """The artist's palette with each continuous setting moved by up to +-7 %."""
    changes = {
        field.name: getattr(palette, field.name) * rng.uniform(0.93, 1.07)
        for field in dataclasses.fields(palette)
        if isinstance(getattr(palette, field.name), float)
    }
    return dataclasses.replace(palette, **changes)


def _bass_pattern(rng: np.random.Generator) -> tuple[int, ...]:
    """Eight 8th notes: root or fifth on the beats, rests, octaves or fifths between."""
    on_beats = rng.choice([0, 0, 7], 4)
    off_beats = rng.choice([-1, -1, 0, 7, 12], 4)
    return tuple(int(n) for pair in zip(on_beats, off_beats) for n in pair)


# ---------------------------------------------------------------------------------------------
# Rendering


def _render_song(plan: _SongPlan, seed: int, sr: int) -> np.ndarray:
    """The song as int16 PCM, shape (frames, 2)."""
    hits = np.random.default_rng([seed, 2, plan.index, 2])  # jitter, drops and noise bursts
    mix = np.zeros((2, int(round(plan.seconds * sr))))
    _drums(plan, hits, mix, sr)
    _bass(plan, hits, mix, sr)
    _pad(plan, mix, sr)
    _drone(plan, mix, sr)
    return _master(_tilt(mix, plan.tilt, sr), plan.loudness)


def _drums(plan: _SongPlan, rng: np.random.Generator, out: np.ndarray, sr: int) -> None:
    """Add kick, snare, hats and shaker on the grid, irregular by (1 - regularity), silent in breakdowns."""
    p = plan.palette
    level = 0.15 + 0.85 * plan.beat_strength  # kick and snare follow beat strength most
    light = 0.4 + 0.6 * plan.beat_strength
    nyquist = sr / 2
    snare_noise = _noise_hit(rng, sr, 0.25, 0.07, _band(p.noise_hz * 0.5, p.noise_hz * 2.0, sr))
    snare = 0.6 * snare_noise + 0.5 * _tone_hit(p.snare_hz, 0.25, 0.05, sr)
    hat = _noise_hit(rng, sr, 0.08, 0.018, _band(min(3.0 * p.noise_hz, 0.8 * nyquist), None, sr))
    shaker = _noise_hit(rng, sr, 0.06, 0.012, _band(min(1.8 * p.noise_hz, 0.7 * nyquist), 0.95 * nyquist, sr))
    voices = (
        (_kick(p, sr), plan.kick_pattern, 1.0 * level, 0.0),
        (snare, _SNARE_PATTERN, 0.8 * level, -0.15 * plan.hat_pan),
        (hat, _HAT_PATTERN, 0.3 * light, plan.hat_pan),
        (shaker, plan.shaker_pattern, 0.22 * light, -plan.hat_pan),
    )
    for hit, pattern, gain, pan in voices:
        times, velocities = _drum_onsets(plan, pattern, rng)
        _place(out, _panned(gain * hit, pan), np.round(times * sr).astype(np.int64), velocities)


def _drum_onsets(plan: _SongPlan, pattern: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Onset times and velocities of one drum: the bar pattern with hits dropped and added,
    jittered, minus the breakdowns."""
    step_s = plan.bar_seconds / _STEPS_PER_BAR
    steps = np.arange(int(np.ceil(plan.seconds / step_s)))
    on_grid = np.isin(steps % _STEPS_PER_BAR, pattern)
    chaos = 1.0 - plan.regularity
    draws = rng.random(len(steps))  # one draw per step decides both dropping and adding
    keep = np.where(on_grid, draws >= _DROP_AT_ZERO * chaos, draws < _EXTRA_AT_ZERO * chaos)
    steps = steps[keep & ~plan.in_breakdown(steps * step_s)]
    return _humanise(steps * step_s, chaos, rng)


def _humanise(times: np.ndarray, chaos: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Jitter grid times by up to +-60 ms and spread velocities, both scaled by chaos (0..1)."""
    jitter = rng.uniform(-1.0, 1.0, len(times)) * _MAX_JITTER_S * chaos
    velocities = 1.0 - 0.5 * chaos * rng.random(len(times))
    return times + jitter, velocities


def _bass(plan: _SongPlan, rng: np.random.Generator, out: np.ndarray, sr: int) -> None:
    """Add a centred, decaying bass note per non-rest 8th, on the chord root of each bar."""
    p = plan.palette
    eighth_s = plan.bar_seconds / 8
    steps = np.arange(int(np.ceil(plan.seconds / eighth_s)))
    offsets = np.array(plan.bass_pattern)[steps % 8]
    steps, offsets = steps[offsets >= 0], offsets[offsets >= 0]
    roots = np.array([root for root, _ in plan.progression])[(steps // 8) % len(plan.progression)]
    midi = 12 * (p.bass_octave + 1) + (plan.key + roots) % 12 + offsets
    times, velocities = _humanise(steps * eighth_s, 1.0 - plan.regularity, rng)
    starts = np.round(times * sr).astype(np.int64)
    harmonics = 1.0 / np.arange(1, p.bass_harmonics + 1)
    # One rendered note per pitch, placed at all of that pitch's onsets.
    for note in np.unique(midi):
        hit = _tone_hit(_hz(note), 0.5, 0.18, sr, harmonics)
        _place(out, _panned(0.45 * hit, 0.0), starts[midi == note], velocities[midi == note])


def _pad(plan: _SongPlan, out: np.ndarray, sr: int) -> None:
    """Add sustained triads, one per bar and cross-faded, swelling within the bar and widened
    by an inter-channel delay."""
    p = plan.palette
    bar = plan.bar_seconds * sr
    fade = int(_PAD_FADE_S * sr)
    t = np.arange(int(np.ceil(bar)) + fade)
    position = np.minimum(t / bar, 1.0)
    fades = np.clip(t / fade, 0.0, 1.0) * np.clip((len(t) - t) / fade, 0.0, 1.0)
    envelope = 0.12 * (0.75 + position * (1.0 - position)) * fades  # 0.75 at bar lines, 1.0 mid-bar
    harmonics = np.arange(1, max(1, min(12, int(0.45 * sr / _hz(_PAD_MIDI + 11 + 7)))) + 1)
    weights = harmonics**-p.pad_rolloff * (harmonics % 2 == 1 if p.pad_odd_only else 1.0)
    table = _wavetable(harmonics, weights)
    delay = max(1, int(round(plan.pad_delay_s * sr)))
    bar_starts = np.round(np.arange(int(np.ceil(out.shape[1] / bar))) * bar).astype(np.int64)
    # Each chord of the progression is rendered once, for one bar, and placed at its bars.
    for index, (root, third) in enumerate(plan.progression):
        pitch = _PAD_MIDI + (plan.key + root) % 12
        tones = (_oscillate(table, _hz(pitch + interval), len(t), sr) for interval in (0, third, 7))
        chord = envelope * sum(tones)
        delayed = np.concatenate([np.zeros(delay), chord[:-delay]])
        stereo = np.stack([chord, (1.0 - plan.pad_width) * chord + plan.pad_width * delayed])
        starts = bar_starts[index :: len(plan.progression)]
        _place(out, stereo, starts, np.ones(len(starts)))


def _drone(plan: _SongPlan, out: np.ndarray, sr: int) -> None:
    """Add a centred drone on the key with a song-specific overtone colour and slow wobble."""
    n = out.shape[1]
    harmonics = np.arange(1, len(plan.drone_harmonics) + 2)
    table = _wavetable(harmonics, np.array([1.0, *plan.drone_harmonics]))
    wobble = 1.0 + 0.3 * _oscillate(_wavetable(np.ones(1), np.ones(1)), plan.drone_wobble_hz, n, sr)
    out += plan.drone_level * wobble * _oscillate(table, _hz(48 + plan.key), n, sr)


def _tilt(mix: np.ndarray, tilt: float, sr: int) -> np.ndarray:
    """Scale the band below ~800 Hz by (1 - tilt) and the band above by (1 + tilt)."""
    from scipy import signal  # here, as below: its import is slow, and listing plugins needs none

    b, a = signal.butter(1, min(800.0, 0.4 * sr), fs=sr)
    low = signal.lfilter(b, a, mix, axis=1)
    return mix + tilt * (mix - 2.0 * low)


def _master(mix: np.ndarray, loudness: float) -> np.ndarray:
    """Scale to the loudness's RMS target, soft-limit peaks below the ceiling, and quantise."""
    target = 10.0 ** ((_RMS_DB[0] + loudness * (_RMS_DB[1] - _RMS_DB[0])) / 20.0)
    mix = mix * (target / max(float(np.sqrt(np.mean(mix**2))), 1e-12))
    magnitude = np.abs(mix)
    loud = magnitude > _KNEE
    room = _CEILING - _KNEE
    # Linear below the knee, tanh above it: continuous slope, and never reaches the ceiling.
    mix[loud] = np.sign(mix[loud]) * (_KNEE + room * np.tanh((magnitude[loud] - _KNEE) / room))
    return np.round(mix.T * 32767.0).astype(np.int16)


# ---------------------------------------------------------------------------------------------
# Instruments and placement


def _kick(p: _Palette, sr: int) -> np.ndarray:
    """A sine sweeping down from 4x to the kit's kick pitch, decaying."""
    t = np.arange(int(0.45 * sr)) / sr
    hz = p.kick_hz * (1.0 + 3.0 * np.exp(-t / 0.03))
    return np.sin(2 * np.pi * np.cumsum(hz) / sr) * np.exp(-t / p.kick_decay_s)


def _tone_hit(hz: float, length_s: float, decay_s: float, sr: int, weights: np.ndarray | None = None) -> np.ndarray:
    """An exponentially decaying tone; `weights` are the amplitudes of harmonics 1, 2, ...
    (those at or above 0.45 x the rate are left out, against aliasing)."""
    t = np.arange(int(length_s * sr)) / sr
    weights = np.ones(1) if weights is None else weights
    tone = sum(w * np.sin(2 * np.pi * k * hz * t) for k, w in enumerate(weights, 1) if k * hz < 0.45 * sr)
    return tone * np.exp(-t / decay_s)


def _noise_hit(rng: np.random.Generator, sr: int, length_s: float, decay_s: float, sos: np.ndarray) -> np.ndarray:
    """A filtered white-noise burst with an exponential decay, normalised to unit peak."""
    from scipy import signal

    t = np.arange(int(length_s * sr)) / sr
    burst = signal.sosfilt(sos, rng.standard_normal(len(t))) * np.exp(-t / decay_s)
    return burst / np.max(np.abs(burst))


def _band(low_hz: float, high_hz: float | None, sr: int) -> np.ndarray:
    """Second-order Butterworth band-pass (or high-pass when high_hz is None), clamped below Nyquist."""
    from scipy import signal

    nyquist = sr / 2
    if high_hz is None:
        return signal.butter(2, min(low_hz, 0.9 * nyquist), "highpass", fs=sr, output="sos")
    high = min(high_hz, 0.95 * nyquist)
    return signal.butter(2, (min(low_hz, 0.5 * high), high), "bandpass", fs=sr, output="sos")


def _panned(hit: np.ndarray, pan: float) -> np.ndarray:
    """A mono hit as stereo, constant-power panned (-1 left .. 1 right)."""
    angle = (pan + 1.0) * np.pi / 4
    return np.stack([np.cos(angle) * hit, np.sin(angle) * hit]) * np.sqrt(2.0)


def _place(out: np.ndarray, hit: np.ndarray, starts: np.ndarray, gains: np.ndarray) -> None:
    """Add `hit` (2, length) into `out` (2, n) at each start, scaled by its gain; one slice per hit."""
    n = out.shape[1]
    for start, gain in zip(starts, gains):
        if 0 <= start < n:
            end = min(n, start + hit.shape[1])
            out[:, start:end] += gain * hit[:, : end - start]


def _wavetable(harmonics: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One period of a harmonic waveform, normalised to unit peak."""
    phase = 2 * np.pi * np.arange(_TABLE_SIZE) / _TABLE_SIZE
    wave = np.sum(weights[:, None] * np.sin(np.outer(harmonics, phase)), axis=0)
    return wave / np.max(np.abs(wave))


def _oscillate(table: np.ndarray, hz: float, length: int, sr: int) -> np.ndarray:
    """`length` samples of a wavetable read at a constant frequency, starting at phase 0."""
    phase = np.arange(length) * (hz * _TABLE_SIZE / sr)
    return table[phase.astype(np.int64) & (_TABLE_SIZE - 1)]


def _hz(midi: float | np.ndarray) -> np.ndarray:
    """Frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi) - 69) / 12.0)


# ---------------------------------------------------------------------------------------------
# Files


def _write_flac(path: Path, pcm: np.ndarray, sr: int) -> None:
    """Write 16-bit FLAC under a temporary name, then move it into place."""
    partial = path.with_name(path.name + ".partial")
    sf.write(partial, pcm, sr, format="FLAC", subtype="PCM_16")
    os.replace(partial, path)


def _write_labels(path: Path, rows: list[tuple]) -> None:
    """Write the labels CSV (floats with 4 decimals) under a temporary name, then move it into place."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_CSV_COLUMNS)
        for row in rows:
            writer.writerow([f"{v:.4f}" if isinstance(v, float) else v for v in row])
    os.replace(partial, path)
