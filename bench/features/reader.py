"""Reads rows of window features from disk on demand: a `.npy` file, or a dataset's per-track
cache entries (`bench.features.stage.Dataset.features`), which are read in place rather than copied.

Rows are fetched with positioned reads rather than a memory map: a map's touched pages count
as the process's resident memory, so an epoch over a big dataset would look (and be charged)
as if the whole file were loaded. Positioned reads go through the page cache instead, and
the trial's peak memory stays one batch deep whatever the number of songs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.features.cache import Segment


def _npy_segment(path: Path) -> tuple[Segment, tuple[int, ...], np.dtype]:
    with open(path, "rb") as handle:
        major, _ = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(handle)
        offset = handle.tell()
    if fortran:
        raise ValueError(f"{path}: Fortran-ordered arrays are not supported")
    return Segment(str(path), offset, shape[0]), tuple(shape[1:]), np.dtype(dtype)


class FeatureReader:
    """Random access to float32 rows laid out in one or more segments of files.

    `source` is a C-ordered `.npy` path, or a dataset feature's segments (one per track; None
    for a track the feature failed on, whose rows must never be read) with `row_shape`."""

    def __init__(self, source: Path | str | Sequence[Segment | None], row_shape: Sequence[int] | None = None):
        self._fds: dict[str, int] = {}
        if isinstance(source, str | Path):
            segment, row_shape, self.dtype = _npy_segment(Path(source))
            segments: list[Segment | None] = [segment]
        else:
            segments, self.dtype = list(source), np.dtype(np.float32)
        if row_shape is None:
            raise TypeError("a reader over segments needs their row_shape")
        self.source, self.row_shape = source, tuple(row_shape)
        self.row_bytes = int(np.prod(self.row_shape, dtype=np.int64)) * self.dtype.itemsize
        rows = [0 if s is None else s.rows for s in segments]
        self._starts = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)  # first row of each segment
        self._segments = segments
        self.shape = (int(self._starts[-1]), *self.row_shape)

    @property
    def path(self) -> Path:
        """The file of a single-file reader."""
        segment = self._segments[0]
        assert segment is not None, "a single-file reader's one segment is its file"
        return Path(segment.path)

    def __len__(self) -> int:
        return self.shape[0]

    def _fd(self, path: str) -> int:
        if path not in self._fds:
            self._fds[path] = os.open(path, os.O_RDONLY)
        return self._fds[path]

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Rows `indices` (any order) as one array; consecutive rows of a file are read in one call."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), *self.row_shape), dtype=self.dtype)
        flat = out.reshape(len(indices), -1).view(np.uint8)
        order = np.argsort(indices, kind="stable")
        sorted_rows = indices[order]
        owner = np.searchsorted(self._starts, sorted_rows, side="right") - 1
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and sorted_rows[end] == sorted_rows[end - 1] + 1 and owner[end] == owner[start]:
                end += 1
            segment = self._segments[owner[start]]
            if segment is None:
                raise IndexError(f"row {sorted_rows[start]} belongs to a track whose feature failed")
            first = int(sorted_rows[start] - self._starts[owner[start]])
            position = segment.offset + first * self.row_bytes
            data = os.pread(self._fd(segment.path), self.row_bytes * (end - start), position)
            if len(data) != self.row_bytes * (end - start):
                raise OSError(f"{segment.path}: shorter than its header says (was the cache changed under the run?)")
            flat[order[start:end]] = np.frombuffer(data, dtype=np.uint8).reshape(end - start, self.row_bytes)
            start = end
        return out

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}

    def __del__(self):
        self.close()

    def __getstate__(self):
        return {"source": self.source, "row_shape": self.row_shape}

    def __setstate__(self, state):
        self.__init__(state["source"], state["row_shape"])
