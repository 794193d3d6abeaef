"""Decoding audio files into stereo float arrays, and cutting them into windows.

Every source goes through `load_stereo`, so real clips and the synthetic corpus share one
path. It never lets a bad file pass silently: anything it cannot turn into finite stereo
audio raises AudioError naming the file and the problem.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import soundfile

SHORT_POLICIES = ("pad", "drop")


class AudioError(Exception):
    """A file that cannot be used: the message names the file and what is wrong."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """(frames, channels) float32 and the file's rate: libsndfile first, audioread as fallback."""
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        return data, rate
    except Exception as sf_error:  # libsndfile cannot read it: try ffmpeg/audioread via librosa
        import librosa

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # librosa warns about the audioread fallback
                data, rate = librosa.load(path, sr=None, mono=False, dtype=np.float32)
        except Exception:
            raise AudioError(path, _undecodable(path, sf_error)) from sf_error
        return np.atleast_2d(data).T, int(rate)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line.split("': ", 1)[1] if line.startswith("Error opening '") else line  # the path is named already


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


def sniff(path: Path) -> str | None:
    """The container a file's first bytes announce (WAV, FLAC, OGG, MP3, AIFF), or None."""
    with open(path, "rb") as handle:
        head = handle.read(4)
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
        with open(path, "rb") as handle:
            head = handle.read(8)
        return f"cannot decode: not a known audio format (the file starts with {head!r})"
    mismatch = extension_mismatch(path)
    return f"cannot decode {mismatch} ({_first_line(error)})" if mismatch else f"cannot decode ({_first_line(error)})"


def to_stereo(data: np.ndarray) -> np.ndarray:
    """(frames, channels) -> (2, frames): mono is duplicated; more than two channels are
    downmixed, even channels to left and odd to right (the usual L/R interleaving)."""
    channels = data.shape[1]
    if channels == 1:
        return np.repeat(data.T, 2, axis=0)
    if channels == 2:
        return np.ascontiguousarray(data.T)
    return np.stack([data[:, 0::2].mean(axis=1), data[:, 1::2].mean(axis=1)])


def read_audio(path: Path | str) -> tuple[np.ndarray, int]:
    """Decode `path` to float32 (frames, channels) at the file's own rate, and that rate.
    Raises AudioError for missing, empty, undecodable or non-finite audio."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
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
