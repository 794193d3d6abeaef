"""Reads rows of a consolidated feature `.npy` from disk on demand.

Rows are fetched with positioned reads rather than a memory map: a map's touched pages count
as the process's resident memory, so an epoch over a big dataset would look (and be charged)
as if the whole file were loaded. Positioned reads go through the page cache instead, and
the trial's peak memory stays one batch deep whatever the number of songs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class FeatureReader:
    """Random access to rows of a C-ordered float `.npy` file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            major, _ = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            self.offset = handle.tell()
        if fortran:
            raise ValueError(f"{self.path}: Fortran-ordered arrays are not supported")
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.row_shape = self.shape[1:]
        self.row_bytes = int(np.prod(self.row_shape, dtype=np.int64)) * self.dtype.itemsize
        self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Rows `indices` (any order) as one array; consecutive rows are read in one call."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), *self.row_shape), dtype=self.dtype)
        flat = out.reshape(len(indices), -1).view(np.uint8)
        order = np.argsort(indices, kind="stable")
        sorted_rows = indices[order]
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and sorted_rows[end] == sorted_rows[end - 1] + 1:
                end += 1
            first = int(sorted_rows[start])
            data = os.pread(self._fd, self.row_bytes * (end - start), self.offset + first * self.row_bytes)
            block = np.frombuffer(data, dtype=np.uint8).reshape(end - start, self.row_bytes)
            flat[order[start:end]] = block
            start = end
        return out

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self):
        self.close()

    def __getstate__(self):
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(state["path"])
