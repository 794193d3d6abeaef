"""Decoding, channel handling, mid/side and windowing."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile

from bench.features.audio import (
    AudioError,
    DecoderNotes,
    WindowStream,
    cut_windows,
    fit_short,
    load_stereo,
    mid_side,
    to_stereo,
    window_starts,
)


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


@pytest.mark.parametrize("file_rate", [44100, 8000], ids=["resampled", "same-rate"])
def test_streamed_windows_equal_whole_file_windows(tmp_path, monkeypatch, file_rate):
    monkeypatch.setattr("bench.features.audio.BLOCK_FRAMES", 1000)  # many blocks, windows straddling them
    audio = 0.3 * np.random.default_rng(0).standard_normal((int(3.3 * file_rate), 2)).astype(np.float32)
    path = write(tmp_path / "noise.flac", audio, file_rate, subtype="PCM_24")
    stereo, _ = load_stereo(path, 8000)
    windows = WindowStream(path, 8000, 8000, 6000)
    streamed = np.stack(list(windows))
    np.testing.assert_allclose(streamed, cut_windows(stereo, 8000, 6000), atol=1e-6)
    assert windows.samples == stereo.shape[1] and windows.short is None and windows.file_rate == file_rate


@pytest.mark.parametrize("policy, count", [("pad", 1), ("drop", 0)])
def test_streamed_short_clips_follow_the_policy(tmp_path, policy, count):
    path = write(tmp_path / "short.wav", np.full((3000, 2), 0.5, np.float32), 8000)
    windows = WindowStream(path, 8000, 8000, 8000, policy)
    streamed = list(windows)
    assert len(streamed) == count and windows.short == ("padded" if count else "dropped")
    assert windows.seconds == pytest.approx(3000 / 8000)
    if count:
        np.testing.assert_array_equal(streamed[0], fit_short(np.full((2, 3000), 0.5, np.float32), 8000, "pad"))


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p, "file not found"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_bytes(b"RIFF\x00\x01garbage" * 20), p)[1], "cannot decode"),
        (lambda p: write(p, np.array([[0.1, np.nan]] * 100, np.float32), 8000, subtype="FLOAT"), "NaN"),
    ],
    ids=["missing", "empty", "corrupt", "nan"],
)
def test_streamed_bad_files_raise_naming_the_file(tmp_path, make, problem):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(AudioError) as error:
        list(WindowStream(path, 8000, 50, 50))
    assert str(path) in str(error.value) and problem in str(error.value)


READERS = {"load_stereo": lambda p: load_stereo(p, 8000), "WindowStream": lambda p: list(WindowStream(p, 8000, 50, 50))}


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
def test_unreadable_files_raise_audio_error(tmp_path, read):
    path = write(tmp_path / "locked.wav", np.zeros((800, 2), np.float32), 8000)
    path.chmod(0o000)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: a mode-000 file is still readable (see the simulated test below)")
    with pytest.raises(AudioError, match="cannot read the file \\(permission denied\\)"):
        read(path)


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
def test_permission_denied_becomes_audio_error(tmp_path, monkeypatch, read):
    path = write(tmp_path / "locked.wav", np.zeros((800, 2), np.float32), 8000)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("bench.features.audio.open", denied, raising=False)  # what open() does for a mode-000 file
    with pytest.raises(AudioError) as error:
        read(path)
    assert str(error.value) == f"{path}: cannot read the file (permission denied)"


def damaged_mp3(path, seconds=12.0, rate=22050):
    """An MP3 whose frames are overwritten with noise every ~1 kB: mpg123 resyncs past them."""
    t = np.arange(int(seconds * rate)) / rate
    write(path, 0.3 * np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1), rate, format="MP3")
    data, rng = bytearray(path.read_bytes()), np.random.default_rng(1)
    for start in range(2000, len(data) - 2000, 997):
        data[start : start + 40] = rng.integers(0, 256, 40, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def test_decoder_notes_keep_what_c_code_prints_off_the_terminal(capfd):
    notes = DecoderNotes()
    with notes.capture():
        os.write(2, b"Note: Illegal Audio-MPEG-Header 0x00 at offset 1.\nNote: Trying to resync...\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
    assert notes.lines == ["Note: Illegal Audio-MPEG-Header 0x00 at offset 1.", "Note: Trying to resync..."]
    assert notes.summary().startswith("damaged stream") and "2 notes" in notes.summary()
    assert DecoderNotes().summary() is None


def test_a_damaged_mp3_streams_quietly_and_keeps_its_notes(tmp_path, capfd):
    stream = WindowStream(damaged_mp3(tmp_path / "damaged.mp3"), 8000, 40000, 40000)
    assert len(list(stream)) == 2
    assert capfd.readouterr().err == ""
    assert stream.notes.lines and "Illegal Audio-MPEG-Header" in stream.notes.summary()
