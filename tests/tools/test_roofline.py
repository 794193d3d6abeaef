"""The roofline's cost of a window: conv and dense multiply-adds x 2, and every layer's output
bytes written and read, checked on a model whose costs are known by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.trial.quiet import keras

ROOFLINE = Path(__file__).parents[2] / "tools" / "benchmarks" / "roofline.py"
spec = importlib.util.spec_from_file_location("roofline", ROOFLINE)
roofline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(roofline)


def test_a_window_costs_its_kernels_multiply_adds_and_its_outputs_bytes():
    inputs = keras.Input((100, 2))
    x = keras.layers.Conv1D(4, 5, padding="same")(inputs)  # 100 x 4 outputs, 5 x 2 inputs each
    x = keras.layers.GlobalAveragePooling1D()(x)  # 4 outputs
    outputs = keras.layers.Dense(3)(x)  # 3 outputs, 4 inputs each
    flop, moved = roofline.cost_per_window(keras.Model(inputs, outputs))
    assert flop == 2 * (100 * 4 * 5 * 2 + 3 * 4)
    assert moved == 2 * 4 * (100 * 2 + 100 * 4 + 4 + 3)  # the input layer's output too
