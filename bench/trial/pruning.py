"""bench tune's pruning inside a trial process: Optuna's pruner judges each epoch's validation loss
against the configurations of its study that had finished when this one was asked.

The tuner (bench.pipeline.tuning) hands the trial a snapshot of those configurations' per-epoch
validation losses (`snapshot`); the trial rebuilds them in an in-memory study, so no trial
process writes to the study's database: the tuner alone tells the real study what happened.
Optuna is imported only by a trial that prunes.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from bench.frameworks import EpochObserver, Framework

if TYPE_CHECKING:
    import optuna

PRUNERS = ("median", "hyperband", "none")


def make_pruner(kind: str, min_epochs: int, max_epochs: int) -> optuna.pruners.BasePruner:
    """Optuna's median or Hyperband pruner over epochs (`none`: never prunes)."""
    import optuna

    if kind == "median":  # epochs 1..min_epochs, which early stopping ignores, are not judged either
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=min_epochs + 1)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, max_epochs))
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"--pruner must be one of {', '.join(PRUNERS)}. Received: {kind!r}")


def snapshot(study: optuna.Study, kind: str, min_epochs: int, max_epochs: int) -> dict:
    """What a trial needs to prune: the pruner and the finished configurations' per-epoch losses."""
    from optuna.trial import TrialState

    finished = [
        {"state": t.state.name, "value": t.value, "losses": {str(k): v for k, v in t.intermediate_values.items()}}
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    ]
    return {"pruner": kind, "min_epochs": min_epochs, "max_epochs": max_epochs, "finished": finished}


class StudyObserver(EpochObserver):
    """Reports each epoch's validation loss to an in-memory copy of the study; stops when its pruner says so."""

    def __init__(self, given: dict):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "study created in memory" line per trial
        pruner = make_pruner(given["pruner"], int(given["min_epochs"]), int(given["max_epochs"]))
        self.study = optuna.create_study(direction="minimize", pruner=pruner)
        for past in given["finished"]:
            state = optuna.trial.TrialState[past["state"]]
            self.study.add_trial(
                optuna.trial.create_trial(
                    state=state,
                    value=past["value"] if state == optuna.trial.TrialState.COMPLETE else None,
                    intermediate_values={int(k): float(v) for k, v in past["losses"].items()},
                )
            )
        self.trial = self.study.ask()

    def epoch_end(self, epoch: int, validation_loss: float) -> bool:
        self.trial.report(validation_loss, epoch)
        return self.trial.should_prune()


@contextmanager
def observing(adapter: Framework, given: dict | None):
    """The adapter's `observer` is a StudyObserver while the block trains (when `given`), the default after."""
    if not given:
        yield
        return
    adapter.observer = StudyObserver(given)
    try:
        yield
    finally:
        del adapter.observer  # back to the class's default
