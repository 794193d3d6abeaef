"""Positioned reads of feature rows match numpy's own loading."""

from __future__ import annotations

import numpy as np

from bench.features.reader import FeatureReader


def test_reads_any_rows_in_any_order(tmp_path):
    data = np.random.default_rng(0).standard_normal((50, 3, 4)).astype(np.float32)
    np.save(tmp_path / "f.npy", data)
    reader = FeatureReader(tmp_path / "f.npy")
    assert len(reader) == 50 and reader.row_shape == (3, 4)
    rows = np.array([7, 3, 4, 5, 49, 0, 3])
    np.testing.assert_array_equal(reader.read(rows), data[rows])
