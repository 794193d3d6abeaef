"""The rewrite paper_cpu.py times against Conv1D is the same convolution: equal outputs for
the same weights (to float rounding), at the strides, channels and blocks the script uses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bench.trial.quiet import keras

spec = importlib.util.spec_from_file_location("paper_cpu", Path(__file__).with_name("paper_cpu.py"))
paper_cpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(paper_cpu)


@pytest.mark.parametrize(
    "n, cin, stride, block",
    [(1003, 1, 1, 50), (661, 16, 1, 50), (1000, 1, 8, 16), (997, 2, 3, 7), (661, 16, 1, 100)],
)
def test_blocked_conv1d_equals_conv1d_same(n, cin, stride, block):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, n, cin)).astype("float32")
    kernel = rng.normal(size=(100, cin, 16)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, strides=stride, padding="same"))
    got = paper_cpu.blocked_conv1d(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(kernel), stride, block)
    got = keras.ops.convert_to_numpy(got)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * np.abs(expected).max())
