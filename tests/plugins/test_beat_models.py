"""The opt-in beat models: 2dwav and 3dspec reading stacks cut at beats (`2dwav-beats`,
`3dspec-beats`), their registration outside `--all`, and a tiny `bench run` end to end."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from bench.cli.app import main
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry
from bench.results.store import find_run
from bench_plugins.features import mel_beats, wav_beats
from bench_plugins.models import BEAT_CNNS, cnn_2dwav, cnn_3dspec
from bench_plugins.models.layers import StackSlices

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

CASES = [(cnn_2dwav, wav_beats), (cnn_3dspec, mel_beats)]
KNOBS = {name: spec.knobs for name, spec in load_registry().models.items()}  # the builders read the specs' knobs


@pytest.mark.parametrize(("module", "feature"), CASES, ids=lambda m: getattr(m, "NAME", ""))
@pytest.mark.parametrize("profile", [QUICK, PAPER], ids=lambda p: p.name)
def test_models_read_an_already_stacked_window(module, feature, profile):
    shape = feature.shape(profile)
    model = module.build(shape, profile.with_knobs(KNOBS[module.NAME]))
    assert model.input_shape == (None, *shape) and model.output_shape == (None, 1)
    assert not any(isinstance(layer, StackSlices) for layer in model.layers)  # the feature stacked it
    if profile is QUICK:
        batch = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
        predictions = keras.ops.convert_to_numpy(model(batch, training=False))
        assert predictions.shape == (2, 1) and np.all((predictions >= 0) & (predictions <= 1))


@pytest.mark.parametrize(
    ("module", "bad"),
    [(cnn_2dwav, (10, 1000, 3)), (cnn_2dwav, (10, 5, 2)), (cnn_2dwav, (10, 1000, 2, 1)), (cnn_3dspec, (10, 24, 16, 1))],
)
def test_bad_stacked_shape_raises(module, bad):
    with pytest.raises(ValueError, match=re.escape(f"Received: input_shape={bad}")):
        module.build(bad, QUICK.with_knobs(KNOBS[module.NAME]))


def test_beat_models_are_opt_in(registry):
    everything = registry.select("model", [])
    assert set(BEAT_CNNS) <= set(registry.models) and not set(BEAT_CNNS) & set(everything)
    assert {"2dwav", "3dspec"} <= set(everything)
    assert registry.select("model", ["2dwav-beats"]) == ["2dwav-beats"]
    assert registry.select("model", ["*-beats"]) == ["2dwav-beats", "3dspec-beats"]
    assert {registry.models[name].feature for name in BEAT_CNNS} == {"wav-beats", "mel-beats"}


@pytest.mark.integration
def test_bench_run_with_the_beat_models(isolated):
    args = "run --model 2dwav-beats --model 3dspec-beats --split song --seeds 1 --songs 8 --seconds 12 --epochs 1"
    assert main([*args.split(), "--jobs", "2"]) == 0
    records = [r.to_dict() for r in find_run(isolated / "results", None).trials()]
    assert {(r["model"], r["feature"], r["status"]) for r in records} == {
        ("2dwav-beats", "wav-beats", "ok"),
        ("3dspec-beats", "mel-beats", "ok"),
    }
