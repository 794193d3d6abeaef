"""`wav-beats` and `mel-beats` (tempo-synced stacking): the beat grid on click tracks at known
tempi, and the stated rule for windows without a stable beat. The contract tests over every
registered feature (tests/plugins/test_contracts.py) cover shapes, dtype, noise and silence."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from bench.features.extraction import run_feature
from bench.features.shared import WindowInputs
from bench.profiles import QUICK
from bench.registry import load_registry
from bench_plugins.features import beat_census, beats, mel_beats, wav_beats

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

SR = QUICK.sample_rate
FEATURES = load_registry().features
FIRST_CLICK_S = 0.3
# Beats are onset frames (128 samples, 16 ms at 8 kHz), rolled back to just before the attack.
TOLERANCE_S = 2 * beats.onset_hop(SR) / SR


def onset(window: np.ndarray) -> np.ndarray:
    """The mel power a window's beats are tracked on, as the feature stage hands it to the features."""
    return WindowInputs(window, SR).get(beats.onset_input(QUICK))


def click_track(bpm: float, seconds: float = QUICK.window_seconds) -> tuple[np.ndarray, np.ndarray]:
    """A stereo window of 20 ms 1 kHz clicks at `bpm` from FIRST_CLICK_S, and the click times."""
    n = int(round(seconds * SR))
    times = np.arange(FIRST_CLICK_S, seconds - 0.05, 60.0 / bpm)
    click = np.sin(2 * np.pi * 1000 * np.arange(160) / SR) * np.exp(-np.arange(160) / 40)
    mono = np.zeros(n, np.float32)
    for t in times:
        start = int(round(t * SR))
        mono[start : start + 160] += click[: n - start]
    return np.stack([mono, 0.8 * mono]), times


def nearest_click(times: np.ndarray, clicks: np.ndarray) -> np.ndarray:
    return np.abs(times[:, None] - clicks[None, :]).argmin(axis=1)


@pytest.mark.parametrize("bpm", [90.0, 120.0, 150.0])
def test_rows_start_at_consecutive_beats_of_a_click_track(bpm):
    window, clicks = click_track(bpm)
    grid = beats.grid(onset(window), QUICK)
    assert grid.stable
    index = nearest_click(grid.starts, clicks)
    # Row i starts at a click, the click after row i-1's, and lasts one beat period.
    assert np.all(np.abs(grid.starts - clicks[index]) <= TOLERANCE_S)
    assert np.array_equal(np.diff(index), np.ones(len(index) - 1, int))
    assert np.allclose(grid.lengths, 60.0 / bpm, atol=TOLERANCE_S)
    full_beats = len(clicks) - 1 - index[0]  # full beat intervals from the first tracked beat
    assert min(full_beats, beats.rows(QUICK)) - 1 <= len(grid.starts) <= min(full_beats, beats.rows(QUICK))


@pytest.mark.parametrize("bpm", [90.0, 150.0])
def test_each_wav_beats_row_holds_its_beat_from_the_start(bpm):
    window, _ = click_track(bpm)
    grid = beats.grid(onset(window), QUICK)
    stack = run_feature(FEATURES["wav-beats"], window, QUICK)
    width = wav_beats.samples_per_beat(QUICK)
    filled = len(grid.starts)
    mid = np.abs(stack[:filled, :, 0])
    # The click (a 20 ms burst) peaks within the first tolerance of each row, at any tempo:
    # rows are time-scaled so a beat always spans `width` samples.
    peaks = mid.argmax(axis=1) / width
    assert np.all(peaks * 60.0 / bpm <= 2 * TOLERANCE_S)
    # Later in the row (after the click's decay, before the next click) it is quiet.
    assert np.all(mid[:, width // 2 : int(0.9 * width)].max(axis=1) < 0.05 * mid.max(axis=1))
    assert not stack[filled:].any()  # rows past the last full beat are silence


def test_mel_beats_rows_line_up_the_beats_whatever_the_tempo():
    profiles = []
    for bpm in (90.0, 150.0):
        window, _ = click_track(bpm)
        stack = run_feature(FEATURES["mel-beats"], window, QUICK)
        filled = len(beats.grid(onset(window), QUICK).starts)
        loudness = stack[:filled, :, :, 0].mean(axis=1)  # (rows, frames): the onset sits at frame 0-1
        assert np.all(loudness.argmax(axis=1) <= 1)
        profiles.append(loudness.mean(axis=0))
    # One beat looks alike at both tempi: the within-beat loudness curves correlate.
    assert np.corrcoef(*profiles)[0, 1] > 0.8


def test_noise_falls_back_to_fixed_slicing_of_the_waveform():
    noise = (0.1 * np.random.default_rng(0).standard_normal((2, QUICK.window_samples))).astype(np.float32)
    beat_times, clarity = beats.track(onset(noise), SR)
    assert len(beat_times) >= beats.MIN_BEATS  # librosa lays a grid on noise too ...
    assert clarity < beats.MIN_PULSE_CLARITY  # ... which the pulse-clarity test rejects
    grid = beats.grid(onset(noise), QUICK)
    assert not grid.stable
    assert np.allclose(grid.starts, np.arange(beats.rows(QUICK)) * 60.0 / beats.REFERENCE_BPM)
    # The fallback is the fixed slicing of the `wav` feature, row after row.
    stack = run_feature(FEATURES["wav-beats"], noise, QUICK)
    flat = run_feature(FEATURES["wav"], noise, QUICK)
    assert np.allclose(stack.reshape(-1, 2), flat[: stack.shape[0] * stack.shape[1]], atol=1e-5)


def test_silence_has_no_beat():
    assert not beats.grid(onset(np.zeros((2, QUICK.window_samples), np.float32)), QUICK).stable


@pytest.mark.parametrize(
    ("beat_times", "clarity", "stable"),
    [
        (np.arange(8) * 0.5, 0.5, True),
        (np.arange(3) * 0.5, 0.9, False),  # too few beats
        (np.cumsum([0.0, 0.5, 0.3, 0.7, 0.4, 0.6, 0.5]), 0.5, False),  # intervals vary (CV 0.28)
        (np.arange(8) * 0.5, 0.1, False),  # no pulse in the onsets
    ],
)
def test_the_stable_beat_rule(beat_times, clarity, stable):
    assert beats.is_stable(beat_times, clarity) is stable


def test_shapes_follow_the_profile():
    assert wav_beats.shape(QUICK) == (10, 1000, 2)  # 5 s at 120 BPM; 0.5 s at 2 kHz
    assert mel_beats.shape(QUICK) == (10, 24, 16, 2)  # 0.5 s of 31.25 frames/s


def test_census_counts_the_windows_with_a_stable_beat(tmp_path, capsys):
    clicks, _ = click_track(120.0, seconds=2 * QUICK.window_seconds)
    noise = 0.1 * np.random.default_rng(1).standard_normal(clicks.shape)
    for name, audio in (("clicks.wav", clicks), ("noise.wav", noise)):
        soundfile.write(tmp_path / name, audio.T, SR)
    assert beat_census.census([tmp_path / "clicks.wav", tmp_path / "noise.wav"], QUICK) == (4, 2)
    assert beat_census.main([str(tmp_path / "noise.wav")]) == 0
    assert "2 windows of 1 files (profile quick): 0 (0%) with a stable beat, 2 on the fixed" in capsys.readouterr().out


def test_the_two_features_track_a_window_once(monkeypatch):
    window, _ = click_track(111.0)  # a window no other test tracked
    calls = []
    track = beats.track
    monkeypatch.setattr(beats, "track", lambda *args: calls.append(1) or track(*args))
    run_feature(FEATURES["wav-beats"], window, QUICK)
    run_feature(FEATURES["mel-beats"], window, QUICK)
    assert len(calls) == 1
    run_feature(FEATURES["mel-beats"], window[:, ::-1].copy(), QUICK)  # another window is tracked anew
    assert len(calls) == 2
