"""Decoding, channel handling, mid/side and windowing."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from bench.audio import AudioError, cut_windows, fit_short, load_stereo, mid_side, to_stereo, window_starts


def write(path, data, rate, **kwargs):
    soundfile.write(path, data, rate, **kwargs)
    return path


def test_mono_is_duplicated_to_two_channels(tmp_path):
    tone = np.sin(np.linspace(0, 100, 8000)).astype(np.float32)
    stereo, rate = load_stereo(write(tmp_path / "mono.wav", tone, 8000), 8000)
    assert rate == 8000 and stereo.shape == (2, 8000)
    np.testing.assert_allclose(stereo[0], stereo[1])


def test_other_rates_are_resampled(tmp_path):
    audio = np.zeros((44100, 2), np.float32)
    stereo, rate = load_stereo(write(tmp_path / "cd.flac", audio, 44100), 8000)
    assert rate == 44100 and stereo.shape == (2, 8000)


def test_more_than_two_channels_are_downmixed():
    six = np.tile(np.arange(6, dtype=np.float32), (10, 1))  # channels 0..5
    stereo = to_stereo(six)
    assert stereo.shape == (2, 10)
    assert stereo[0, 0] == pytest.approx(2.0) and stereo[1, 0] == pytest.approx(3.0)  # mean of 0,2,4 and 1,3,5


def test_mid_side():
    left, right = np.array([1.0, 0.5]), np.array([0.0, 0.5])
    mid, side = mid_side(np.stack([left, right]))
    np.testing.assert_allclose(mid, [0.5, 0.5])
    np.testing.assert_allclose(side, [0.5, 0.0])


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p, "file not found"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_bytes(b"RIFF\x00\x01garbage" * 20), p)[1], "cannot decode"),
    ],
    ids=["missing", "empty", "corrupt"],
)
def test_bad_files_raise_naming_the_file(tmp_path, make, problem):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(AudioError) as error:
        load_stereo(path, 8000)
    assert str(path) in str(error.value) and problem in str(error.value)


def test_windows_drop_the_tail():
    assert window_starts(100, 40, 20) == [0, 20, 40, 60]
    assert window_starts(30, 40, 20) == []
    windows = cut_windows(np.zeros((2, 100), np.float32), 40, 30)
    assert windows.shape == (3, 2, 40)


def test_short_clips_pad_or_drop():
    short = np.ones((2, 10), np.float32)
    padded = fit_short(short, 25, "pad")
    assert padded.shape == (2, 25) and padded[:, 10:].sum() == 0
    assert fit_short(short, 25, "drop") is None
    with pytest.raises(ValueError, match="Received: 'stretch'"):
        fit_short(short, 25, "stretch")
