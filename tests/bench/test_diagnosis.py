"""A trial's diagnosis: a model that cannot learn is flagged, one that learns is not."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.reader import FeatureReader
from bench.profiles import QUICK
from bench.specs import ModelSpec
from bench_plugins.frameworks import training
from bench_plugins.frameworks.keras import KerasFramework

PROFILE = QUICK.replace(epochs=15, patience=15, learning_rate=0.05, batch_size=16, dropout=0.0)
TRAIN, VALIDATION = np.arange(96), np.arange(96, 128)


@pytest.fixture
def task(tmp_path):
    """Windows (8, 2) whose label is a fixed linear read-out squashed into 0..1: easy to learn."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 8, 2)).astype(np.float32)
    y = 1 / (1 + np.exp(-x.reshape(128, -1) @ rng.standard_normal(16) / 2))
    np.save(tmp_path / "x.npy", x)
    return FeatureReader(tmp_path / "x.npy"), y


def linear(input_shape, profile):
    import keras

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs)))


def dead_head(input_shape, profile):
    """A ReLU layer with zero weights outputs 0 and passes no gradient back: only the output bias learns."""
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(4, activation="relu", kernel_initializer="zeros", bias_initializer="zeros")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")(x)
    return keras.Model(inputs, outputs)


def fit(build, task) -> dict:
    reader, y = task
    adapter = KerasFramework()
    model = adapter.build(ModelSpec("m", "test model", "x", build), (8, 2), PROFILE, seed=0)
    return adapter.fit(model, PROFILE, reader, TRAIN, VALIDATION, y, seed=0).fields


def test_a_model_that_cannot_learn_is_flagged(task):
    assert fit(dead_head, task)["diagnosis"] == ["collapsed", "not learning"]


def test_a_model_that_learns_is_not_flagged(task):
    fields = fit(linear, task)
    assert fields["diagnosis"] == [] and min(fields["history"]["loss"]) < 0.5 * fields["history"]["loss"][0]


def test_memorising_is_train_loss_far_below_validation():
    history = {"loss": [0.2, 0.05, 0.01], "val_loss": [0.2, 0.15, 0.12]}
    labels = np.linspace(0, 1, 10)
    assert training.diagnose(history, labels, "mae", labels, labels) == ["memorising"]
    assert training.constant_loss(labels, "mse") == pytest.approx(np.var(labels))


def test_memorising_is_also_fitting_training_while_validation_stays_at_the_constant_level():
    """Training loss halves while the kept epoch predicts validation no better than the mean."""
    labels, validation = np.linspace(0.1, 0.9, 10), np.linspace(0.2, 0.8, 6)
    train_level = training.constant_loss(labels, "mae")
    val_level = training.constant_loss(validation, "mae", float(labels.mean()))
    fits = [train_level, 0.6 * train_level, 0.5 * train_level]
    assert training.diagnose({"loss": fits, "val_loss": [1.1 * val_level, val_level]}, labels, "mae", validation) == [
        "memorising"
    ]
    # the same training curve is fine once validation goes below its constant level ...
    assert training.diagnose({"loss": fits, "val_loss": [val_level, 0.8 * val_level]}, labels, "mae", validation) == []
    # ... and a training loss that stays near its constant level is no fit
    near = [train_level, 0.9 * train_level]
    assert training.diagnose({"loss": near, "val_loss": [val_level, val_level]}, labels, "mae", validation) == []


def test_the_constant_levels_are_the_training_means_losses(task):
    """The record keeps the loss of predicting the training mean, on training and validation
    windows, so the learning curves can show whether a model ever went below it."""
    _, y = task
    fields = fit(dead_head, task)
    levels = fields["constant_loss"]
    assert levels["train"] == pytest.approx(np.mean(np.abs(y[TRAIN] - y[TRAIN].mean())))
    assert levels["validation"] == pytest.approx(np.mean(np.abs(y[VALIDATION] - y[TRAIN].mean())))
    # the dead head only learns its output bias: it ends near the constant level, never well below it
    assert min(fields["history"]["val_loss"]) > 0.9 * levels["validation"]
    assert training.constant_levels(y[TRAIN], None, "mse") == {"train": pytest.approx(np.var(y[TRAIN]))}
