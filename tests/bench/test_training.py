"""Training input: arrays within the in-memory budget, batches streamed from disk beyond it;
both paths train the same model to the same kind of result."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.reader import FeatureReader
from bench.profiles import QUICK
from bench.registry import load_registry
from bench_plugins.frameworks import training
from bench_plugins.frameworks.keras import KerasFramework

PROFILE = QUICK.replace(epochs=3, patience=5)


@pytest.fixture
def reader(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    return FeatureReader(tmp_path / "x.npy")


def tiny_model():
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 2))
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    return training.compile_model(keras.Model(inputs, outputs), PROFILE)


def test_small_sets_are_arrays_and_big_ones_stream(reader, monkeypatch):
    rows, labels = np.arange(64), np.linspace(0, 1, 64)
    x, y = training.windows(reader, rows, labels, 16)
    assert x.shape == (64, 8, 2) and y.shape == (64, 1)
    monkeypatch.setenv("AFB_IN_MEMORY_MB", "0")
    streamed = training.windows(reader, rows, labels, 16, seed=0)
    assert isinstance(streamed, training.WindowBatches) and len(streamed) == 4
    batch_x, batch_y = streamed[0]
    assert batch_x.shape == (16, 8, 2) and batch_y.shape == (16, 1)


@pytest.mark.parametrize("budget_mb", ["256", "0"], ids=["in-memory", "streamed"])
def test_both_paths_train_and_predict(reader, monkeypatch, budget_mb):
    monkeypatch.setenv("AFB_IN_MEMORY_MB", budget_mb)
    rows = np.arange(64)
    labels = (reader.read(rows)[:, :, 0].mean(axis=1) > 0).astype(float)  # learnable
    model = tiny_model()
    fitted = training.fit(
        model,
        PROFILE,
        training.windows(reader, rows[:48], labels[:48], 16, seed=0),
        training.windows(reader, rows[48:], labels[48:], 16),
    )
    assert len(fitted["epoch_seconds"]) == 3 and fitted["history"]["loss"][-1] < fitted["history"]["loss"][0]
    predictions = training.predict(model, training.windows(reader, rows[48:], None, 16), 16)
    assert predictions.shape == (16,) and ((predictions >= 0) & (predictions <= 1)).all()


def test_a_model_that_asks_for_xla_trains_with_it_and_the_others_do_not(reader):
    import dataclasses

    import keras

    spec = dataclasses.replace(load_registry().models["1dwav"], jit_compile=True)
    built = KerasFramework().build(spec, (QUICK.window_samples // 4, 2), QUICK.with_knobs(spec.knobs), seed=0)
    assert bool(built.jit_compile) is (keras.backend.backend() in ("tensorflow", "jax"))
    assert tiny_model().jit_compile is (keras.backend.backend() == "jax")  # "auto": no XLA on a CPU
    inputs = keras.Input((8, 2))
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    compiled = training.compile_model(keras.Model(inputs, outputs), PROFILE, jit_compile=True)
    history = training.fit(compiled, PROFILE, training.windows(reader, np.arange(64), np.linspace(0, 1, 64), 16), None)
    assert np.isfinite(history["history"]["loss"]).all()


def test_the_learning_rate_warms_up_then_decays_along_a_cosine():
    profile = QUICK.replace(epochs=10, learning_rate=1e-3, warmup_epochs=1, lr_schedule="cosine")
    schedule = training.LearningRateSchedule(profile, steps_per_epoch=10)
    assert schedule.rate(0) == pytest.approx(1e-4) and schedule.rate(9) == pytest.approx(1e-3)
    assert schedule.rate(55) == pytest.approx(5e-4) and schedule.rate(99) < 1e-5
    constant = training.LearningRateSchedule(profile.replace(lr_schedule="constant"), steps_per_epoch=10)
    assert constant.rate(99) == pytest.approx(1e-3)


def test_the_whole_recipe_trains_and_early_stopping_waits_for_min_epochs(reader):
    import keras

    profile = PROFILE.replace(
        epochs=6, patience=1, min_epochs=4, warmup_epochs=1, lr_schedule="cosine", clipnorm=1.0, use_ema=True,
        weight_decay=1e-4,
    )  # fmt: skip
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 2))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs)))
    training.compile_model(model, profile)
    assert model.optimizer.use_ema and model.optimizer.clipnorm == 1.0 and model.optimizer.weight_decay == 1e-4
    rows, labels = np.arange(64), np.linspace(0, 1, 64)
    validation = training.windows(reader, rows[48:], labels[48:], 16)
    fitted = training.fit(model, profile, training.windows(reader, rows[:48], labels[:48], 16), validation)
    assert len(fitted["epoch_seconds"]) >= 5 and fitted["best_epoch"] >= 5  # nothing before epoch 5 is weighed
    assert np.isfinite(fitted["history"]["val_loss"]).all()
    with pytest.raises(ValueError, match="lr_schedule"):
        training.compile_model(model, profile.replace(lr_schedule="step"))


def _seeded_model(seed: int, units: int = 4, dropout: float = 0.2):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 2))
    hidden = keras.layers.Dropout(dropout)(keras.layers.Dense(units, activation="relu")(keras.layers.Flatten()(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    return training.compile_model(model, PROFILE.replace(use_ema=True))


def _trained(model, reader):
    rows = np.arange(64)
    labels = np.linspace(0, 1, 64)
    profile = PROFILE.replace(use_ema=True)
    training.fit(model, profile, training.windows(reader, rows[:48], labels[:48], 16, seed=0), None)
    return training.predict(model, training.windows(reader, rows[48:], None, 16), 16)


def test_a_reused_compiled_model_trains_to_a_fresh_model_s_numbers(reader):
    """Weights, dropout seeds, optimizer slots and EMA averages all come from the fresh build."""
    compiled = training.CompiledModels()
    first = compiled.reuse(_seeded_model(0), (8, 2), False)
    _trained(first, reader)
    fresh = _trained(_seeded_model(1), reader)
    again = compiled.reuse(_seeded_model(1), (8, 2), False)
    assert again is first and compiled.was_reused(again)
    assert np.array_equal(_trained(again, reader), fresh)  # bit-equal, not approximately


def test_a_different_architecture_or_an_untrained_model_is_not_reused(reader):
    compiled = training.CompiledModels(size=1)
    first = compiled.reuse(_seeded_model(0), (8, 2), False)
    untrained = compiled.reuse(_seeded_model(0), (8, 2), False)  # the first never trained: nothing traced
    assert untrained is not first
    _trained(untrained, reader)
    assert compiled.reuse(_seeded_model(0, units=5), (8, 2), False) is not untrained
    assert compiled.reuse(_seeded_model(0), (8, 2), False) is not untrained  # size 1: evicted by the other


def test_a_subclassed_model_is_always_built_fresh(reader):
    import keras

    class Doubled(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1, activation="sigmoid")

        def call(self, x):
            return self.dense(keras.ops.reshape(x, (-1, 16)))

    compiled = training.CompiledModels()
    first = compiled.reuse(training.compile_model(Doubled(), PROFILE.replace(use_ema=True)), (8, 2), False)
    _trained(first, reader)
    assert compiled.reuse(training.compile_model(Doubled(), PROFILE.replace(use_ema=True)), (8, 2), False) is not first
