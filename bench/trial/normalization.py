"""Feature normalisation, applied in the trial to what the cache keeps (unnormalised features).

Modes (the profile's `normalization` field):

- `paper`: the seed paper's recipe, per window: zero mean, unit standard deviation over the
  whole window (all channels together, so the level of side relative to mid survives), then
  scaled to 0..1.
- `zscore`: per window, zero mean and unit standard deviation, without the 0..1 step.
- `none`: the features as computed.
- `train`: statistics fitted on the trial's training windows only, per feature index of every
  axis but time (per channel of a waveform, per band and channel of a spectrogram), then
  applied unchanged to validation and test windows. Unlike the per-window modes it keeps each
  window's loudness relative to the training set, a cue the per-window modes erase.

Rows are channels-last; time is the axis just before the channels (a waveform's (time,
channels), a spectrogram's (bands, frames, channels)); a 1-D row has no time axis and is
standardised per element. Only keras models read normalised features: scikit-learn models
scale their own inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PER_WINDOW = ("paper", "zscore")
MODES = (*PER_WINDOW, "none", "train")
EPSILON = 1e-8
FIT_CHUNK_BYTES = 64 * 2**20  # training windows are read this much at a time to fit `train`


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"normalization must be one of {MODES}. Received: {mode!r}")
    return mode


def per_window(row: np.ndarray, mode: str) -> np.ndarray:
    """One window normalised by a per-window mode (`paper` or `zscore`)."""
    # Float32 sums depend on memory order. The statistics are taken over a view laid out as the
    # transforms' own arrays were before normalisation moved here (time innermost, channels just
    # outside it), so the rounding, and every trained number, stays exactly the same.
    laid_out = np.swapaxes(np.ascontiguousarray(np.swapaxes(row, -1, -2)), -1, -2) if row.ndim > 1 else row
    z = (row - laid_out.mean()) / (laid_out.std() + EPSILON)
    if mode == "zscore":
        return z.astype(np.float32)
    span = z.max() - z.min()
    return ((z - z.min()) / (span if span > 0 else 1.0)).astype(np.float32)


def time_axis(row_ndim: int) -> int | None:
    """The time axis of a row (None for a 1-D row): the one before the channels."""
    return row_ndim - 2 if row_ndim > 1 else None


@dataclass(frozen=True)
class TrainStatistics:
    """Mean and standard deviation per feature index (time axis kept as length 1)."""

    mean: np.ndarray
    std: np.ndarray

    def apply(self, batch: np.ndarray) -> np.ndarray:
        return ((batch - self.mean) / (self.std + EPSILON)).astype(np.float32)


def fit_train(reader, rows: np.ndarray) -> TrainStatistics:
    """Statistics of the windows `rows`, read in chunks so memory stays bounded."""
    axis = time_axis(len(reader.row_shape))
    reduce = (0,) if axis is None else (0, axis + 1)
    chunk = max(1, FIT_CHUNK_BYTES // max(1, reader.row_bytes))
    total = total_sq = None
    count = 0
    for start in range(0, len(rows), chunk):
        x = reader.read(np.sort(rows[start : start + chunk])).astype(np.float64)
        part, part_sq = x.sum(axis=reduce, keepdims=True)[0], (x * x).sum(axis=reduce, keepdims=True)[0]
        total, total_sq = (part, part_sq) if total is None else (total + part, total_sq + part_sq)
        count += x.size // part.size
    if not count:
        raise ValueError("normalization 'train' needs at least one training window")
    assert total is not None and total_sq is not None  # set by the first chunk, and count > 0
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))
    return TrainStatistics(mean.astype(np.float32), std.astype(np.float32))


@dataclass
class Normalizer:
    """Normalises batches of rows by one mode (with fitted statistics for `train`)."""

    mode: str
    statistics: TrainStatistics | None = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.mode == "none":
            return batch.astype(np.float32, copy=False)
        if self.mode == "train":
            assert self.statistics is not None, "normalization 'train' needs fitted statistics"
            return self.statistics.apply(batch)
        return np.stack([per_window(row, self.mode) for row in batch]) if len(batch) else batch

    def to_json(self) -> dict:
        """The mode and any fitted statistics, to normalise new audio as the trial did."""
        if self.statistics is None:
            return {"mode": self.mode}
        return {"mode": self.mode, "mean": self.statistics.mean.tolist(), "std": self.statistics.std.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> Normalizer:
        if check_mode(data["mode"]) != "train":
            return cls(data["mode"])
        arrays = (np.asarray(data[key], dtype=np.float32) for key in ("mean", "std"))
        return cls("train", TrainStatistics(*arrays))


class NormalizingReader:
    """A feature reader whose `read` returns normalised rows; otherwise the wrapped reader."""

    def __init__(self, reader, normalizer: Normalizer):
        self.reader, self.normalizer = reader, normalizer
        self.row_shape, self.row_bytes, self.shape = reader.row_shape, reader.row_bytes, reader.shape

    def __len__(self) -> int:
        return len(self.reader)

    def read(self, indices: np.ndarray) -> np.ndarray:
        return self.normalizer(self.reader.read(indices))


def normalizing_reader(reader, mode: str, train_rows: np.ndarray) -> NormalizingReader:
    """`reader` normalised by `mode`; `train` statistics come from `train_rows` only."""
    statistics = fit_train(reader, train_rows) if check_mode(mode) == "train" else None
    return NormalizingReader(reader, Normalizer(mode, statistics))
