"""Contract tests for the CNN model modules, at the paper and the quick profile's shapes."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from bench.profiles import PAPER, QUICK, Profile
from bench_plugins.features import mel, wav
from bench_plugins.models import CNNS, KNOBS, cnn_1dwav, cnn_2dspec, cnn_2dwav, cnn_3dspec
from bench_plugins.models.layers import AxisMean, ChannelSelect, StackSlices

MODULES = [cnn_1dwav, cnn_2dwav, cnn_2dspec, cnn_3dspec]
PROFILES = [PAPER, QUICK]

by_module = pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
by_profile = pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)


def feature_of(module) -> str:
    return CNNS[module.__name__.rsplit(".", 1)[1]][1]


def knobbed(module, profile: Profile) -> Profile:
    """The profile the module's build is handed: with the knobs its ModelSpec declares."""
    return profile.with_knobs(KNOBS[module.__name__.rsplit(".", 1)[1]])


def input_shape(feature: str, profile: Profile) -> tuple[int, ...]:
    """The per-window shape the feature transforms produce for `profile`."""
    return {"wav": wav, "mel": mel}[feature].shape(profile)


def random_batch(shape: tuple[int, ...], size: int) -> np.ndarray:
    return np.random.default_rng(0).random((size, *shape), dtype=np.float32)


def test_paper_shapes_match_the_paper():
    assert input_shape("wav", PAPER) == (661500, 2)
    assert input_shape("mel", PAPER) == (24, 2584, 2)


@by_module
def test_module_name_agrees_with_the_registration(module):
    assert module.NAME == CNNS[module.__name__.rsplit(".", 1)[1]][0]


@by_module
@by_profile
def test_build_shapes(module, profile):
    shape = input_shape(feature_of(module), profile)
    model = module.build(shape, knobbed(module, profile))

    assert not model.compiled
    assert model.input_shape == (None, *shape)
    assert model.output_shape == (None, 1)


@by_module
def test_predictions_are_a_batch_in_the_label_range(module):
    # At quick size: a forward pass at paper size costs seconds (tests/test_paper_profile.py runs one).
    shape = input_shape(feature_of(module), QUICK)
    model = module.build(shape, knobbed(module, QUICK))
    predictions = keras.ops.convert_to_numpy(model(random_batch(shape, 2), training=False))
    assert predictions.shape == (2, 1)
    assert np.all((predictions >= 0) & (predictions <= 1))


# Weights of each CNN at each profile: moving a knob must not change a model.
PARAMETERS = {
    ("quick", "1dwav"): 15121,
    ("quick", "2dwav"): 65521,
    ("quick", "2dspec"): 12689,
    ("quick", "3dspec"): 24369,
    ("paper", "1dwav"): 61057,
    ("paper", "2dwav"): 251457,
    ("paper", "2dspec"): 61857,
    ("paper", "3dspec"): 114401,
}


@by_module
@by_profile
def test_parameter_counts_stay_as_they_were(module, profile):
    model = module.build(input_shape(feature_of(module), profile), knobbed(module, profile))
    assert model.count_params() == PARAMETERS[(profile.name, module.NAME)]


# Wrong rank (twice), not 2 channels (twice), too short for the kernels or slices.
BAD_SHAPES = {
    "wav": [(12000,), (12000, 2, 1), (12000, 1), (12000, 3), (50, 2)],
    "mel": [(24, 188), (24, 188, 2, 1), (24, 188, 1), (24, 188, 3), (24, 3, 2)],
}
BAD_CASES = [
    pytest.param(module, bad, id=f"{module.NAME}-{'x'.join(map(str, bad))}")
    for module in MODULES
    for bad in BAD_SHAPES[feature_of(module)]
]


@pytest.mark.parametrize(("module", "bad"), BAD_CASES)
def test_bad_input_shape_raises(module, bad):
    with pytest.raises(ValueError, match=re.escape(f"Received: input_shape={bad}")):
        module.build(bad, knobbed(module, QUICK))


@pytest.mark.integration  # trains each CNN for a step
@by_module
def test_train_step_and_save_round_trip(module, tmp_path):
    keras.utils.set_random_seed(0)
    shape = input_shape(feature_of(module), QUICK)
    model = module.build(shape, knobbed(module, QUICK))
    model.compile(optimizer=keras.optimizers.Adam(QUICK.learning_rate), loss="mae")
    x = random_batch(shape, 4)

    loss = model.train_on_batch(x, np.full((4, 1), 0.5, dtype=np.float32))
    assert np.isfinite(loss)

    path = tmp_path / f"{module.NAME}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, atol=1e-6)


def test_stack_slices_cuts_consecutive_pieces_and_drops_the_tail():
    wav = np.arange(2 * 23, dtype=np.float32).reshape(1, 23, 2)
    stacked = np.asarray(StackSlices(5, axis=0)(wav))
    assert stacked.shape == (1, 5, 4, 2)
    np.testing.assert_array_equal(stacked[0, :, :, 0], wav[0, :20, 0].reshape(5, 4))

    mel = np.arange(3 * 10 * 2, dtype=np.float32).reshape(1, 3, 10, 2)
    stacked = np.asarray(StackSlices(3, axis=1)(mel))
    assert stacked.shape == (1, 3, 3, 3, 2)
    for s in range(3):
        np.testing.assert_array_equal(stacked[0, s], mel[0, :, 3 * s : 3 * s + 3])


def test_channel_select_and_axis_mean():
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    np.testing.assert_array_equal(np.asarray(ChannelSelect(1)(x)), x[..., 1:2])
    expected = x.mean(axis=2).reshape(2, 6)
    np.testing.assert_allclose(np.asarray(AxisMean(axes=(1,))(x)), expected)
