"""`bench check-plugin`: built-in models pass; each deliberately broken one fails the check
that names its fault (models in tests/fixtures/broken_model_plugin.py)."""

from __future__ import annotations

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.cli.check_plugin import check_model, check_plugin
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

FEATURE_CHECKS = ["feature compute", "feature shape", "feature dtype", "feature finite", "feature varies"]
KERAS_CHECKS = [
    "feature",
    *FEATURE_CHECKS,
    "build",
    "input shape",
    "output shape",
    "output range",
    "train step",
    "predict",
    "save and reload",
]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


@pytest.fixture(scope="module")
def broken_registry():
    return load_registry(["broken_model_plugin"])


@pytest.mark.integration
def test_a_builtin_cnn_passes_every_check(capsys):
    assert main(["check-plugin", "2dspec"]) == 0
    out = capsys.readouterr().out
    assert "2dspec: all 13 checks passed." in out and "FAIL" not in out
    frames = 1 + QUICK.window_samples // QUICK.mel_hop
    assert f"(None, {QUICK.n_mels}, {frames}, 2)" in out


def test_a_scikit_learn_baseline_is_checked_its_own_way(registry):
    results = check_model(registry, "dsp-ridge")
    assert [c.name for c in results] == ["feature", *FEATURE_CHECKS, "build", "fit and predict", "save and reload"]
    assert all(c.ok for c in results)


@pytest.mark.parametrize(
    "model, failed, message",
    [
        (
            "broken-linear-output",
            "output range",
            "outside 0..1: the output is not bounded, and targets are scaled to 0..1, so the last layer must be",
        ),
        ("broken-two-outputs", "output shape", "the model outputs (None, 2), but the harness needs (None, 1)"),
        (
            "broken-fixed-input",
            "input shape",
            "the model expects input (None, 16, 16, 2), but its feature gives (None, 24, ",
        ),
        ("broken-unregistered-layer", "save and reload", "keras.saving.load_model failed"),
    ],
)
def test_a_broken_model_fails_the_check_naming_its_fault(broken_registry, model, failed, message):
    results = {c.name: c for c in check_model(broken_registry, model)}
    assert list(results) == KERAS_CHECKS
    assert [name for name, c in results.items() if c.ok is False] == [failed]
    assert message in results[failed].message
    if failed == "save and reload":
        assert "register_keras_serializable" in results[failed].message
    if failed in ("input shape", "output shape"):  # nothing after a broken contract is tried
        assert all(c.ok is None for c in list(results.values())[KERAS_CHECKS.index(failed) + 1 :])


def test_a_relu_output_stuck_at_zero_is_called_constant_not_disconnected(broken_registry):
    results = {c.name: c for c in check_model(broken_registry, "broken-relu-output")}
    assert [name for name, c in results.items() if c.ok is False] == ["output range", "train step"]
    assert "are all 0: a constant output is not bounded in 0..1" in results["output range"].message
    assert "the output is constant, so no gradient reaches the weights" in results["train step"].message
    assert "disconnected" not in results["train step"].message


def test_the_command_exits_1_and_names_the_failed_check(capsys):
    assert main(["check-plugin", "broken-two-outputs", "--plugin", "broken_model_plugin"]) == 1
    out = capsys.readouterr().out
    assert "broken-two-outputs: 1 of 13 checks failed: output shape" in out


def test_a_missing_feature_and_an_unknown_model_are_one_clear_line(broken_registry, capsys):
    (result,) = check_model(broken_registry, "broken-missing-feature")
    assert result.ok is False and "reads feature 'no-such-feature', which no plugin registers" in result.message
    assert main(["check-plugin", "no-such-model"]) == 1
    assert "Unknown model or feature 'no-such-model'. Registered models:" in capsys.readouterr().out


@pytest.fixture(scope="module")
def feature_registry():
    return load_registry(["broken_feature_plugin"])


@pytest.mark.parametrize(
    "feature, failed, message",
    [
        (
            "one-frame-short",
            "feature shape",
            "compute gave shape (4, 156, 2) on window 0, but shape(profile) declares (4, 157, 2) "
            "(axis 1: 156 instead of 157): make shape(profile) compute exactly what compute returns",
        ),
        (
            "channels-first",
            "feature shape",
            "compute gave shape (2, 4, 157) on window 0, but shape(profile) declares (4, 157, 2): the same values "
            "in another order (the harness wants channels last, as declared)",
        ),
        ("float64", "feature dtype", "compute returned float64; return float32 (.astype(np.float32))"),
        ("all-nan", "feature finite", "NaN or infinity in windows [0, 1, 2] of 3: guard divisions and logs"),
        ("constant", "feature varies", "the same output on 3 windows of different songs: the feature is constant"),
        (
            "undeclared-field",
            "feature compute",
            "UndeclaredProfileField: feature 'undeclared-field' read profile.batch_size, which it does not declare: "
            "add 'batch_size' to its FeatureSpec profile_fields",
        ),
    ],
)
def test_a_broken_feature_fails_the_check_naming_the_plugin_and_the_fix(feature_registry, feature, failed, message):
    kind, results = check_plugin(feature_registry, feature)
    assert kind == "feature" and [c.name for c in results] == FEATURE_CHECKS
    assert [c.name for c in results if c.ok is False] == [failed]
    (failure,) = [c for c in results if c.ok is False]
    assert f"feature '{feature}'" in failure.message and message in failure.message
    if failed != "feature compute":  # the harness's own checks also name the plugin
        assert failure.message.startswith(f"feature '{feature}' (plugin 'broken_feature_plugin'): ")


def test_a_good_feature_passes_and_the_profile_sets_the_sizes(feature_registry, capsys):
    kind, results = check_plugin(feature_registry, "envelope", PAPER)
    assert all(c.ok for c in results), results
    assert f"(4, {1 + PAPER.window_samples // PAPER.mel_hop}, 2) on every window" in results[1].message
    assert main(["check-plugin", "envelope", "--plugin", "broken_feature_plugin", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert "check-plugin: feature 'envelope'" in out and "envelope: all 5 checks passed." in out
