"""Trial records sent where researchers already look: MLflow and TensorBoard.

Trackers are fed the records themselves, as the runner gathers them (`bench run --log-to`,
the same at any --jobs and with Ray, since workers only write records) or from a finished
run (`bench export RUN --to`), so every number logged is the one on disk: per-epoch losses
from the record's `history`, final metrics, timings, parameters and tags. Logging is
repeatable: a trial already logged (same id, same finish time) is not logged again.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Protocol

from bench.interrupts import interruption, reraise_interruption
from bench.results.records import TrialRecord
from bench.results.store import RunStore

TRACKERS = ("mlflow", "tensorboard")
NEEDS = {"mlflow": ("mlflow", "mlflow-skinny"), "tensorboard": ("tensorflow", "tensorflow")}  # (module, package)


class Tracker(Protocol):
    def trial(self, record: TrialRecord) -> None:
        """Log one finished or failed trial."""

    def finish(self, status: str) -> None:
        """Close the run: `status` is run.json's ("complete", "interrupted", "failed")."""


def check(names: list[str]) -> None:
    """ValueError naming an unknown tracker, or the extra to install when a tracker's module is
    missing (before a run starts)."""
    for name in names:
        if name not in TRACKERS:
            raise ValueError(f"unknown tracker {name!r}; choose from {', '.join(TRACKERS)}")
        module, package = NEEDS[name]
        if importlib.util.find_spec(module) is None:
            raise ValueError(
                f"--log-to {name} needs the package {package}, which is not installed: "
                f"pip install 'audio-feature-bench[{name}]'"
            )


def open_tracker(name: str, store: RunStore) -> Tracker:
    """The tracker `name` for the run."""
    check([name])
    if name == "mlflow":
        from bench.results.mlflow_log import MlflowTracker

        return MlflowTracker(store)
    from bench.results.tensorboard_log import TensorBoardTracker

    return TensorBoardTracker(store)


class Trackers:
    """The trackers a run logs to, as a context: leaving it on an error closes them as
    interrupted or failed. A tracker that fails mid-run is dropped with one warning (`warn`);
    the records stay on disk for `bench export RUN --to`."""

    def __init__(self, names: list[str], store: RunStore, warn: Callable[[str], None]):
        self.warn = warn
        self.active: dict[str, Tracker] = {name: open_tracker(name, store) for name in dict.fromkeys(names)}

    def _each(self, call: Callable[[Tracker], None]) -> None:
        for name, tracker in list(self.active.items()):
            try:
                call(tracker)
            except Exception as exc:  # a tracker outage must not stop the trials
                reraise_interruption(exc)
                self.warn(f"--log-to {name} stopped: {type(exc).__name__}: {exc}")
                del self.active[name]

    def trial(self, record: TrialRecord | dict) -> None:
        typed = record if isinstance(record, TrialRecord) else TrialRecord.from_dict(record)
        self._each(lambda tracker: tracker.trial(typed))

    def finish(self, status: str) -> None:
        self._each(lambda tracker: tracker.finish(status))
        self.active = {}

    def __enter__(self) -> Trackers:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is not None:
            self.finish("interrupted" if interruption(error) is not None else "failed")


def log_run(store: RunStore, names: list[str]) -> int:
    """Send a finished run's records to the trackers `names` (`bench export RUN --to`); returns
    how many records were offered (a tracker skips those it already has). RuntimeError naming
    the tracker when one fails."""
    records, errors = store.trials(), list[str]()
    with Trackers(names, store, errors.append) as trackers:
        for record in records:
            trackers.trial(record)
        trackers.finish(store.run_info().status)
    if errors:
        raise RuntimeError(f"run {store.id}: " + "; ".join(errors))
    return len(records)
