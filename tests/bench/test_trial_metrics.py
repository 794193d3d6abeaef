"""A metric's failure belongs to that metric; predictions that are not numbers fail the trial;
a run that scored nothing does not exit 0."""

from __future__ import annotations

import numpy as np
import pytest
from fake_runs import scored_run

from bench.cli.commands.run import run_exit_code
from bench.frameworks import ModelContractError
from bench.results.leaderboard import run_cells
from bench.results.store import RunStore
from bench.specs import MetricSpec
from bench.trial.execute import check_finite, score


class FakeRegistry:
    def __init__(self, *metrics):
        self.metrics = {m.name: m for m in metrics}

    def describe(self, kind, name):
        return f"{kind} {name!r} (plugin 'p')"


def _raises(true, pred):
    raise ZeroDivisionError("planted")


def test_a_failing_or_non_numeric_metric_is_recorded_and_the_others_kept():
    registry = FakeRegistry(
        MetricSpec("ok", "", lambda t, p: 0.5, True),
        MetricSpec("boom", "", _raises, True),
        MetricSpec("text", "", lambda t, p: "great", True),
        MetricSpec("nan", "", lambda t, p: float("nan"), True),
    )
    values, errors = score(registry, registry.metrics, "song", np.zeros(3), np.zeros(3))
    assert values == {"ok": 0.5}
    assert {e["metric"] for e in errors} == {"boom", "text", "nan"}
    boom = next(e for e in errors if e["metric"] == "boom")
    assert "plugin 'p'" in boom["error"] and "ZeroDivisionError: planted" in boom["error"]


def test_non_finite_predictions_fail_the_trial_with_a_count():
    with pytest.raises(ModelContractError, match="2 of 3"):
        check_finite(FakeRegistry(), "m", np.array([0.1, np.nan, np.inf]))
    check_finite(FakeRegistry(), "m", np.array([0.1, 0.2]))


def test_a_record_with_a_text_metric_does_not_break_the_board(tmp_path):
    store = RunStore(scored_run(tmp_path / "r"))
    record = store.trials()[0]
    record.metrics["song"]["r2"] = "great"
    store.write_record(record)
    assert run_cells(store)


def test_a_run_where_no_trial_scored_exits_non_zero():
    assert run_exit_code({"trials": 4, "failed_trials": 0, "scored_trials": 0}) != 0
    assert run_exit_code({"trials": 4, "failed_trials": 0, "scored_trials": 4}) == 0
    assert run_exit_code({"trials": 4, "failed_trials": 0}) == 0  # a run.json from before scored_trials
