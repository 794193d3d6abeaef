"""Before the first epoch a trial checks its input and its model, and a model that cannot be
ranked fails its trial: each mistake a plugin author makes is one line naming the plugin, what
was expected and what was received (models in tests/fixtures/broken_model_plugin.py)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bench.frameworks import ModelContractError
from bench.registry import load_registry
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec, check_bounded, execute, input_problem


@pytest.fixture(scope="module")
def broken_registry():
    return load_registry(["broken_model_plugin"])


@pytest.fixture
def run_dir(tiny_run, tmp_path):
    """A writable copy of the tiny run (its feature files stay in the session's cache)."""
    return shutil.copytree(tiny_run, tmp_path / "run")


def trial(run_dir, registry, model: str) -> dict:
    info = RunStore(run_dir).info()
    spec = TrialSpec(
        run_dir=str(run_dir),
        source="synthetic",
        feature=registry.models[model].feature,
        model=model,
        split="song",
        seed=0,
        target="danceability",
        profile=info["profile"],
    )
    return execute(spec, registry, write=False).to_dict()


@pytest.mark.integration
@pytest.mark.parametrize(
    "model, message",
    [
        ("broken-linear-output", "windows before training span "),
        ("broken-linear-output", "outside 0..1: the output is not bounded"),
        ("broken-two-outputs", "the model outputs (None, 2), but the harness needs (None, 1): one value per window"),
        ("broken-relu-output", "are all 0: a constant output is not bounded in 0..1 by a sigmoid"),
        ("broken-fixed-input", "the model expects input (None, 16, 16, 2), but its feature gives (None, 24, "),
    ],
)
def test_a_broken_model_fails_its_trial_before_training_naming_the_plugin(run_dir, broken_registry, model, message):
    record = trial(run_dir, broken_registry, model)
    assert record["status"] == "failed"
    error = record["error"]
    assert error.startswith(f"ModelContractError: model '{model}' (plugin 'broken_model_plugin'): ")
    assert message in error and "\n" not in error
    assert "epochs" not in record  # it never trained


def poison_feature(run_dir, feature: str) -> None:
    """Point the run's dataset at copies of `feature`'s windows that are NaN everywhere (as a
    feature returning NaN would leave them if nothing upstream stopped it)."""
    dataset = json.loads((run_dir / "dataset.json").read_text())
    segments = dataset["features"][feature]
    rows = sum(s["rows"] for s in segments if s)
    path = run_dir / f"{feature}-nan.npy"
    np.save(path, np.full((rows, *dataset["shapes"][feature]), np.nan, np.float32))
    offset = int(np.load(path, mmap_mode="r").offset)
    row_bytes = 4 * int(np.prod(dataset["shapes"][feature]))
    first = np.cumsum([0] + [s["rows"] if s else 0 for s in segments])
    dataset["features"][feature] = [
        s and {"path": str(path), "offset": offset + int(first[i]) * row_bytes, "rows": s["rows"]}
        for i, s in enumerate(segments)
    ]
    (run_dir / "dataset.json").write_text(json.dumps(dataset))


@pytest.mark.integration
def test_non_finite_feature_windows_fail_the_trial_naming_the_feature_plugin(run_dir, registry):
    poison_feature(run_dir, "dsp")
    record = trial(run_dir, registry, "dsp-ridge")  # scikit-learn models are checked too
    assert record["status"] == "failed"
    assert record["error"] == (
        "ModelContractError: feature 'dsp' (plugin 'features') gave NaN or infinity in 10 of 10 windows "
        "(expected finite values)"
    )


def test_input_problem_accepts_good_windows_and_names_what_is_wrong():
    assert input_problem(np.zeros((3, 4, 2), np.float32), (4, 2)) is None
    assert input_problem(np.zeros((3, 4, 2)), (4, 2)) == "values of dtype float64, expected float32"
    assert input_problem(np.zeros((3, 2, 4), np.float32), (4, 2)) == (
        "windows of shape (2, 4), but the feature declares (4, 2)"
    )


def test_a_trained_model_leaving_0_to_1_cannot_be_ranked(broken_registry):
    spec = TrialSpec("", "synthetic", "mel", "broken-linear-output", "song", 0, "danceability", {})
    check_bounded(broken_registry, spec, np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ModelContractError) as caught:
        check_bounded(broken_registry, spec, np.array([0.2, 14.8]))
    assert str(caught.value) == (
        "model 'broken-linear-output' (plugin 'broken_model_plugin'): its test predictions span 0.2..14.8, "
        "outside 0..1, so it cannot be ranked: targets are scaled to 0..1, end in Dense(1, activation='sigmoid')"
    )
