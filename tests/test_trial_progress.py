"""Progress within a trial: the Keras training loop's epochs reach the runner through a trial
worker (`on_epoch`), and the runner's bar for that trial goes when its record arrives."""

from __future__ import annotations

import io
import shutil

import pytest
from rich.console import Console
from rich.progress import Progress

from bench.pipeline.config import RunConfig
from bench.pipeline.executors import ProcessExecutor
from bench.pipeline.runner import TrialBars, plan
from bench.registry import load_registry
from bench.results.store import RunStore


@pytest.mark.integration
def test_a_workers_epochs_reach_the_runner_before_its_record(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")  # the session's run is read-only
    config = RunConfig(**RunStore(run).info()["config"])
    spec = next(s for s in plan(load_registry(), config, run, ["song"]) if s.model == "2dspec" and s.seed == 0)
    events: list = []
    executor = ProcessExecutor(1)
    executor.warm_up()
    executor.run(
        [spec], lambda record: events.append(record), lambda s, done, total: events.append((s.id, done, total))
    )
    *epochs, record = events
    assert record.status == "ok", record.error
    assert epochs == [(spec.id, i, 2) for i in range(1, record.extra["epochs"] + 1)]  # --epochs 2 in the tiny run


def test_a_trials_bar_follows_its_epochs_and_goes_with_its_record():
    progress = Progress(console=Console(file=io.StringIO(), force_terminal=True))

    class Spec:
        id, model, split, seed, fold, folds = "danceability--2dspec--mel--song--seed0", "2dspec", "song", 0, 0, None

    bars = TrialBars(progress)
    bars.epoch(Spec(), 1, 4)
    bars.epoch(Spec(), 2, 4)
    (task,) = progress.tasks
    assert (task.completed, task.total) == (2, 4) and task.description == "  2dspec song seed 0"
    bars.done(Spec.id)
    assert not progress.tasks
    bars.done("a trial that never reported an epoch")  # e.g. a baseline: nothing to remove
