"""The CRNN plugin on its own: registration, shapes, output range, learning, serialization."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import bench_crnn  # noqa: E402

from bench.profiles import PAPER, QUICK  # noqa: E402
from bench_plugins.frameworks.training import compile_model  # noqa: E402

QUICK_SHAPE = (QUICK.n_mels, 1 + QUICK.window_samples // QUICK.mel_hop, 2)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return bench_crnn.build(QUICK_SHAPE, QUICK)


def test_the_hook_registers_one_mel_model():
    (spec,) = bench_crnn.bench_models()
    assert (spec.name, spec.feature, spec.framework, spec.baseline) == ("crnn", "mel", "keras", False)


def test_quick_model_is_small_with_one_sigmoid_output(model):
    assert model.input_shape == (None, *QUICK_SHAPE)
    assert model.output_shape == (None, 1)
    assert 2_000 < model.count_params() < 50_000
    assert model.get_layer("predictions").activation.__name__ == "sigmoid"
    out = model.predict(np.random.default_rng(0).standard_normal((3, *QUICK_SHAPE)).astype("float32"), verbose=0)
    assert out.shape == (3, 1) and np.all((out >= 0) & (out <= 1))


def test_the_gru_reads_one_step_per_pooled_frame(model):
    steps, bands = -(-QUICK_SHAPE[1] // 4), QUICK_SHAPE[0] // 4  # two 2x2 "same" pools round up
    assert model.get_layer("sequence").output.shape[1:] == (steps, bands * 2 * QUICK.filters)


@pytest.mark.integration
def test_it_learns_a_loudness_rule_in_a_few_steps():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, *QUICK_SHAPE)).astype("float32")
    y = rng.uniform(0.1, 0.9, (32, 1)).astype("float32")
    x += (y[:, :, None, None] - 0.5) * 2  # the label shifts the whole window
    model = compile_model(bench_crnn.build(QUICK_SHAPE, QUICK), QUICK.replace(learning_rate=1e-2))
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=8, epochs=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.7 * first


def test_it_round_trips_through_the_keras_format(model, tmp_path):
    x = np.random.default_rng(2).standard_normal((2, *QUICK_SHAPE)).astype("float32")
    model.save(tmp_path / "crnn.keras")
    again = keras.saving.load_model(tmp_path / "crnn.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_paper_input_builds_and_wrong_inputs_are_one_clear_error():
    paper = bench_crnn.build((PAPER.n_mels, 1 + PAPER.window_samples // PAPER.mel_hop, 2), PAPER)
    assert paper.output_shape == (None, 1)
    with pytest.raises(ValueError, match=r"\(n_mels, frames, 2\)"):
        bench_crnn.build((24, 188), QUICK)
    with pytest.raises(ValueError, match="at least 4"):
        bench_crnn.build((2, 188, 2), QUICK)
