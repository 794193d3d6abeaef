"""Decoding audio files into stereo float arrays, and cutting them into windows.

Every source goes through `load_stereo` (whole file) or `WindowStream` (block by block, so a
long file never sits whole in memory), so real clips and the synthetic corpus share one path.
It never lets a bad file pass silently: anything it cannot turn into finite stereo audio
raises AudioError naming the file and the problem.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile

from bench.interrupts import reraise_interruption
from bench.text import visible

SHORT_POLICIES = ("pad", "drop")


class AudioError(Exception):
    """A file that cannot be used: the message names the file and what is wrong."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class DecoderNotes:
    """What C decoders print on file descriptor 2 while they decode (mpg123 inside libsndfile
    writes "Note: Illegal Audio-MPEG-Header ..." for every damaged frame of an MP3), kept off
    the terminal and reported once, as a problem with the file, by whoever decoded it."""

    def __init__(self):
        self.lines: list[str] = []

    @contextmanager
    def capture(self):
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                text = sink.read().decode(errors="replace")
                self.lines += [line.strip() for line in text.splitlines() if line.strip()]

    def summary(self) -> str | None:
        """One line for the file's problem report; None when the decoder said nothing."""
        if not self.lines:
            return None
        first = decoder_text(self.lines[0].removeprefix("Note: "))
        return f"damaged stream: the decoder skipped what it could not read ({len(self.lines)} notes, first: {first})"


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """(frames, channels) float32 and the file's rate: libsndfile first, audioread as fallback."""
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        return data, rate
    except Exception as sf_error:  # libsndfile cannot read it: try ffmpeg/audioread via librosa
        reraise_interruption(sf_error)
        import librosa

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # librosa warns about the audioread fallback
                data, rate = librosa.load(path, sr=None, mono=False, dtype=np.float32)
        except Exception as exc:
            reraise_interruption(exc)
            raise AudioError(path, _undecodable(path, sf_error)) from sf_error
        return np.atleast_2d(data).T, int(rate)


# A value a decoder quotes from the stream ("Illegal Audio-MPEG-Header 0x726f6f74": the bytes "root").
_QUOTED_BYTES = re.compile(r"0x[0-9A-Fa-f]{4,}")


def decoder_text(text: str) -> str:
    """What a decoder said, safe to print and store: values it quotes from the file's bytes are
    replaced by "0x…", and characters that are not printable are shown as escapes (\\x1b)."""
    return visible(_QUOTED_BYTES.sub("0x…", text))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    line = line.split("': ", 1)[1] if line.startswith("Error opening '") else line  # the path is named already
    return decoder_text(line)


# First bytes of the containers people put music in; an MPEG audio frame starts with 11 set bits.
MAGIC = {b"RIFF": "WAV", b"fLaC": "FLAC", b"OggS": "OGG", b"ID3": "MP3", b"FORM": "AIFF"}
SUFFIXES = {
    ".wav": "WAV",
    ".wave": "WAV",
    ".flac": "FLAC",
    ".ogg": "OGG",
    ".oga": "OGG",
    ".opus": "OGG",
    ".mp3": "MP3",
    ".aif": "AIFF",
    ".aiff": "AIFF",
}


def _head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a file; AudioError when the file cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except PermissionError as exc:
        raise AudioError(path, "cannot read the file (permission denied)") from exc


def sniff(path: Path) -> str | None:
    """The container a file's first bytes announce (WAV, FLAC, OGG, MP3, AIFF), or None.
    Raises AudioError for a file that cannot be read."""
    head = _head(path, 4)
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "MP3"
    return None


def extension_mismatch(path: Path) -> str | None:
    """A line saying the content is not what the extension says, or None when they agree
    (or either is unknown)."""
    path = Path(path)
    named, content = SUFFIXES.get(path.suffix.lower()), sniff(path)
    if named and content and named != content:
        return f"{content} content in a file named {path.suffix}"
    return None


def _undecodable(path: Path, error: BaseException) -> str:
    """Why a file did not decode, saying so when its content is not audio or not what its name says."""
    if sniff(path) is None:
        return "cannot decode: not a known audio format (its first bytes match no audio container)"
    mismatch = extension_mismatch(path)
    return f"cannot decode {mismatch} ({_first_line(error)})" if mismatch else f"cannot decode ({_first_line(error)})"


def wav_shortfall(path: Path) -> str | None:
    """A line saying how much less audio a WAV file holds than its header declares, or None
    (not a WAV, or whole). libsndfile silently decodes what is there, so the header's own
    data-chunk size is compared with the bytes that follow it."""
    try:
        with open(path, "rb") as handle:
            if handle.read(12)[8:12] != b"WAVE":
                return None
            size, byte_rate = path.stat().st_size, 0
            while len(chunk := handle.read(8)) == 8:
                name, length = chunk[:4], int.from_bytes(chunk[4:], "little")
                if name == b"fmt ":
                    byte_rate = int.from_bytes(handle.read(16)[8:12], "little")
                    handle.seek(length - 16, os.SEEK_CUR)
                elif name == b"data":
                    held = size - handle.tell()
                    if length in (0, 0xFFFFFFFF) or length <= held or not byte_rate:
                        return None  # 0 and 0xFFFFFFFF: written by a stream that could not seek back
                    return (
                        f"truncated: the WAV header declares {length / byte_rate:.2f} s of audio, "
                        f"the file holds {held / byte_rate:.2f} s (decoded as it is)"
                    )
                else:
                    handle.seek(length + length % 2, os.SEEK_CUR)
    except OSError:
        return None
    return None


def to_stereo(data: np.ndarray) -> np.ndarray:
    """(frames, channels) -> (2, frames): mono is duplicated; more than two channels are
    downmixed, even channels to left and odd to right (the usual L/R interleaving)."""
    return np.ascontiguousarray(stereo_frames(data).T)


def stereo_frames(data: np.ndarray) -> np.ndarray:
    """`to_stereo` left frames first, (frames, 2): stereo input is returned as it is, uncopied."""
    channels = data.shape[1]
    if channels == 1:
        return np.repeat(data, 2, axis=1)
    if channels == 2:
        return data
    return np.stack([data[:, 0::2].mean(axis=1), data[:, 1::2].mean(axis=1)], axis=1)


def _check_file(path: Path) -> None:
    """AudioError unless `path` is a non-empty file this process may read."""
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    _head(path, 0)


def read_audio(path: Path | str, notes: DecoderNotes | None = None) -> tuple[np.ndarray, int]:
    """Decode `path` to float32 (frames, channels) at the file's own rate, and that rate.
    Raises AudioError for missing, empty, undecodable or non-finite audio. What the decoder
    prints goes to `notes` (a fresh, discarded one when None), not to the terminal."""
    path = Path(path)
    _check_file(path)
    with (notes or DecoderNotes()).capture():
        data, rate = _decode(path)
    if data.size == 0:
        raise AudioError(path, "no audio frames in the file")
    if not np.isfinite(data).all():
        raise AudioError(path, "audio contains NaN or infinite samples")
    return data, rate


def load_stereo(path: Path | str, sample_rate: int) -> tuple[np.ndarray, int]:
    """Decode `path` to float32 stereo (2, samples) at `sample_rate`; also return the file's
    own rate. Raises AudioError as `read_audio` does."""
    import librosa

    data, rate = read_audio(path)
    stereo = to_stereo(data)
    if rate != sample_rate:
        stereo = librosa.resample(stereo, orig_sr=rate, target_sr=sample_rate, res_type="soxr_hq", axis=-1)
    return stereo.astype(np.float32, copy=False), rate


def mid_side(stereo: np.ndarray) -> np.ndarray:
    """(2, n) left/right -> (2, n) mid = (L+R)/2, side = (L-R)/2."""
    left, right = stereo[0], stereo[1]
    return np.stack([(left + right) / 2, (left - right) / 2])


def window_starts(n_samples: int, window: int, hop: int) -> list[int]:
    """Start samples of every whole window; the tail shorter than a window is dropped."""
    if n_samples < window:
        return []
    return list(range(0, n_samples - window + 1, hop))


def fit_short(stereo: np.ndarray, window: int, policy: str) -> np.ndarray | None:
    """A clip shorter than one window, zero-padded to one window ("pad") or None ("drop")."""
    if policy not in SHORT_POLICIES:
        raise ValueError(f"short-clip policy must be one of {SHORT_POLICIES}. Received: {policy!r}")
    if policy == "drop":
        return None
    return np.pad(stereo, ((0, 0), (0, window - stereo.shape[1])))


def cut_windows(stereo: np.ndarray, window: int, hop: int) -> np.ndarray:
    """(2, n) -> (n_windows, 2, window) views over the whole windows of a clip."""
    starts = window_starts(stereo.shape[1], window, hop)
    return np.stack([stereo[:, s : s + window] for s in starts]) if starts else np.empty((0, 2, window), np.float32)


BLOCK_FRAMES = 1 << 18  # frames per read: about 6 s at 44.1 kHz; smaller reads were slower
_HELD = 16  # resampled samples held back until the end, where the total length is fixed


class WindowStream:
    """The (2, window) float32 windows of one file at `sample_rate`, decoded block by block.

    The same windows as `cut_windows(load_stereo(path, sample_rate)[0], window, hop)`, with
    `fit_short` applied to a clip shorter than one window, but only about one window and one
    block are in memory at a time. libsndfile formats (WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF)
    stream; anything else goes through librosa/audioread whole, as `load_stereo` does.

    Iterate once. Iteration raises AudioError as `read_audio` does (a non-finite block or a
    decoding error can come after some windows were yielded). Once exhausted, `short` is None,
    "padded" or "dropped", and `seconds` is the clip's length (its `file_rate` the file's rate).
    """

    def __init__(self, path: Path | str, sample_rate: int, window: int, hop: int, short_policy: str = "pad"):
        if short_policy not in SHORT_POLICIES:
            raise ValueError(f"short-clip policy must be one of {SHORT_POLICIES}. Received: {short_policy!r}")
        self.path, self.sample_rate, self.window, self.hop = Path(path), sample_rate, window, hop
        self.short_policy = short_policy
        self.short: str | None = None
        self.samples = 0  # at sample_rate, once exhausted
        self.file_rate: int | None = None
        self.notes = DecoderNotes()  # what the decoder printed (a damaged MP3's resyncs)

    @property
    def seconds(self) -> float:
        return self.samples / self.sample_rate

    def __iter__(self) -> Iterator[np.ndarray]:
        pending, offset, start = np.empty((2, 0), np.float32), 0, 0  # offset: index of pending[:, 0]
        for block in self._resampled():
            pending = np.concatenate([pending, block], axis=1)
            while start + self.window <= offset + pending.shape[1]:
                yield pending[:, start - offset : start - offset + self.window].copy()
                start += self.hop
            consumed = min(start - offset, pending.shape[1])
            pending, offset = pending[:, consumed:], offset + consumed
        self.samples = offset + pending.shape[1]
        if self.samples < self.window:  # nothing was consumed: `pending` is the whole clip
            fitted = fit_short(pending, self.window, self.short_policy)
            self.short = "dropped" if fitted is None else "padded"
            if fitted is not None:
                yield fitted

    def _resampled(self) -> Iterator[np.ndarray]:
        """(2, n) float32 blocks at sample_rate whose concatenation is load_stereo's array:
        soxr's HQ filter streamed, then the total fixed to librosa's ceil(frames * ratio)."""
        import soxr

        frames, stream, held, emitted = 0, None, np.empty((2, 0), np.float32), 0
        for data in self._decoded():
            frames += len(data)
            stereo = stereo_frames(data)  # soxr reads frames first: transposed once, after it
            if self.file_rate == self.sample_rate:
                yield stereo.T
                continue
            if stream is None:
                stream = soxr.ResampleStream(self.file_rate, self.sample_rate, 2, dtype="float32", quality="HQ")
            out = np.concatenate([held, stream.resample_chunk(stereo).T], axis=1)
            held = out[:, -_HELD:]
            if out.shape[1] > _HELD:
                emitted += out.shape[1] - _HELD
                yield out[:, :-_HELD]
        if stream is not None:
            assert self.file_rate is not None  # _decoded set it before the stream was made
            tail = np.concatenate([held, stream.resample_chunk(np.empty((0, 2), np.float32), last=True).T], axis=1)
            size = math.ceil(frames * float(self.sample_rate) / self.file_rate) - emitted
            yield np.pad(tail[:, :size], ((0, 0), (0, max(0, size - tail.shape[1]))))

    def _decoded(self) -> Iterator[np.ndarray]:
        """(frames, channels) float32 blocks at the file's rate, checked as read_audio checks."""
        _check_file(self.path)
        try:
            with self.notes.capture():
                handle = soundfile.SoundFile(self.path)
        except Exception as exc:  # not for libsndfile: decode whole through read_audio's fallback
            reraise_interruption(exc)
            data, self.file_rate = read_audio(self.path, self.notes)
            yield data
            return
        with handle:
            self.file_rate, any_frames = handle.samplerate, False
            while True:
                try:
                    with self.notes.capture():
                        data = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
                except Exception as exc:
                    reraise_interruption(exc)
                    raise AudioError(self.path, f"cannot decode ({_first_line(exc)})") from exc
                if not len(data):
                    break
                if not np.isfinite(data).all():
                    raise AudioError(self.path, "audio contains NaN or infinite samples")
                any_frames = True
                yield data
        if not any_frames:
            raise AudioError(self.path, "no audio frames in the file")
