"""`bench check-plugin`: built-in models pass; each deliberately broken one fails the check
that names its fault (models in tests/fixtures/broken_model_plugin.py)."""

from __future__ import annotations

import pytest
from rich.console import Console

from bench.check_plugin import check_model
from bench.cli import main
from bench.profiles import QUICK
from bench.registry import load_registry

KERAS_CHECKS = [
    "feature",
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
    monkeypatch.setattr("bench.cli.console", Console(width=250))


@pytest.fixture(scope="module")
def broken_registry():
    return load_registry(["broken_model_plugin"])


@pytest.mark.slow
def test_a_builtin_cnn_passes_every_check(capsys):
    assert main(["check-plugin", "2dspec"]) == 0
    out = capsys.readouterr().out
    assert "2dspec: all 8 checks passed." in out and "FAIL" not in out
    frames = 1 + QUICK.window_samples // QUICK.mel_hop
    assert f"(None, {QUICK.n_mels}, {frames}, 2)" in out


def test_a_scikit_learn_baseline_is_checked_its_own_way(registry):
    results = check_model(registry, "dsp-ridge")
    assert [c.name for c in results] == ["feature", "build", "fit and predict", "save and reload"]
    assert all(c.ok for c in results)


@pytest.mark.parametrize(
    "model, failed, message",
    [
        (
            "broken-linear-output",
            "output range",
            "outside 0..1: targets are scaled to 0..1, so the last layer must be a sigmoid",
        ),
        ("broken-two-outputs", "output shape", "the model outputs (None, 2), but the harness needs (None, 1)"),
        (
            "broken-fixed-input",
            "input shape",
            "the model expects input (None, 16, 16, 2), but feature 'mel' gives (None, 24, ",
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


def test_the_command_exits_1_and_names_the_failed_check(capsys):
    assert main(["check-plugin", "broken-two-outputs", "--plugin", "broken_model_plugin"]) == 1
    out = capsys.readouterr().out
    assert "broken-two-outputs: 1 of 8 checks failed: output shape" in out


def test_a_missing_feature_and_an_unknown_model_are_one_clear_line(broken_registry, capsys):
    (result,) = check_model(broken_registry, "broken-missing-feature")
    assert result.ok is False and "reads feature 'no-such-feature', which no plugin registers" in result.message
    assert main(["check-plugin", "no-such-model"]) == 1
    assert "Unknown model 'no-such-model'. Registered models:" in capsys.readouterr().out
