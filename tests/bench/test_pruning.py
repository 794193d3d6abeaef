"""bench tune's pruning and epoch budget: Optuna's pruner in the trial judges each epoch's
validation loss against the study's finished configurations; the tuner counts epochs spent."""

from __future__ import annotations

import optuna
import pytest

from bench.frameworks import EpochObserver, Framework
from bench.pipeline.tuning import Budget, _tell
from bench.results.records import TrialRecord
from bench.trial.pruning import StudyObserver, make_pruner, observing, snapshot

GOOD = [0.10, 0.08, 0.07, 0.065, 0.06]


def study_with(finished: int) -> optuna.Study:
    """A study whose `finished` configurations each reported the GOOD curve and completed."""
    study = optuna.create_study(direction="minimize")
    for _ in range(finished):
        trial = study.ask()
        for epoch, loss in enumerate(GOOD, start=1):
            trial.report(loss, epoch)
        trial.set_user_attr("epochs", len(GOOD))
        study.tell(trial, 0.2)
    return study


def run_curve(observer: EpochObserver, losses: list[float]) -> int | None:
    """The epoch at which the observer stops training on this curve (None: it trains to the end)."""
    for epoch, loss in enumerate(losses, start=1):
        if observer.epoch_end(epoch, loss):
            return epoch
    return None


def test_the_median_pruner_stops_a_trailing_configuration_and_keeps_a_leading_one():
    given = snapshot(study_with(4), "median", min_epochs=2, max_epochs=5)
    assert run_curve(StudyObserver(given), [0.3, 0.3, 0.3, 0.3, 0.3]) == 3  # judged after min_epochs
    assert run_curve(StudyObserver(given), [0.09, 0.07, 0.06, 0.05, 0.04]) is None


def test_nothing_is_pruned_before_three_configurations_finished_or_with_no_pruner():
    assert run_curve(StudyObserver(snapshot(study_with(2), "median", 1, 5)), [0.3] * 5) is None
    assert run_curve(StudyObserver(snapshot(study_with(4), "none", 1, 5)), [0.3] * 5) is None


def test_hyperband_judges_a_snapshot_without_error():
    observer = StudyObserver(snapshot(study_with(6), "hyperband", 1, 5))
    stopped = run_curve(observer, [0.5] * 5)
    assert stopped is None or 1 <= stopped <= 5


def test_an_unknown_pruner_is_refused():
    with pytest.raises(ValueError, match="--pruner must be one of median, hyperband, none"):
        make_pruner("asha", 1, 5)


def test_the_observer_is_set_only_while_training():
    adapter = Framework()
    with observing(adapter, snapshot(study_with(0), "median", 1, 5)):
        assert isinstance(adapter.observer, StudyObserver)
    assert type(adapter.observer) is EpochObserver
    with observing(adapter, None):
        assert type(adapter.observer) is EpochObserver


def test_a_pruned_record_is_told_pruned_with_its_curve_and_epochs():
    study = study_with(0)
    trial = study.ask()
    record = TrialRecord.from_dict(
        {
            **{"id": "t", "target": "danceability", "model": "m", "feature": "f", "split": "song", "seed": 0},
            **{"status": "ok", "pruned_at_epoch": 2, "epochs": 2, "history": {"loss": [1, 1], "val_loss": [0.4, 0.5]}},
        }
    )
    _tell(study, trial.number, record)
    told = study.trials[trial.number]
    assert told.state == optuna.trial.TrialState.PRUNED
    assert told.intermediate_values == {1: 0.4, 2: 0.5} and told.user_attrs["epochs"] == 2


def test_an_epoch_budget_counts_epochs_spent_and_a_configuration_budget_counts_configurations():
    study = study_with(3)  # 3 configurations of 5 epochs
    assert Budget(epochs=16).left(study) and not Budget(epochs=15).left(study)
    assert Budget(configurations=4).left(study) and not Budget(configurations=3).left(study)
    assert Budget(epochs=300).tag == "tuned300ep" and Budget(configurations=20).tag == "tuned20"


@pytest.mark.integration
def test_a_tiny_tune_spends_its_epoch_budget_and_labels_the_tuned_row(isolated):
    import json

    from bench.cli.app import main
    from bench.pipeline import tuning
    from bench.results.leaderboard import boards
    from bench.results.store import find_run

    args = "tune --model 1dwav --split song --seeds 1 --songs 8 --seconds 6 --epochs 2 --budget-epochs 6"
    assert main(args.split()) == 0
    store = find_run(isolated / "results", None)
    (summary,) = optuna.get_all_study_summaries(tuning.default_storage(store))
    study = optuna.load_study(study_name=summary.study_name, storage=tuning.default_storage(store))
    spent = [t.user_attrs["epochs"] for t in study.trials]
    assert sum(spent) >= 6 and sum(spent[:-1]) < 6  # asked until the budget was spent, not beyond
    assert all(t.intermediate_values for t in study.trials if t.state != optuna.trial.TrialState.FAIL)
    info = json.loads((store.dir / "run.json").read_text())["tuning"]
    assert info["budget_epochs"] == 6 and info["pruner"] == "median"
    board = boards(store)[0]
    assert "1dwav (tuned6ep)" in [row[0] for row in board.rows]
    assert "6 training epochs per model and seed (median pruning" in board.title
