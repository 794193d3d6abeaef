"""`bench run --log-to mlflow --log-to tensorboard` on a real run, then `bench export --to
mlflow`: every trial once in MLflow with its training's losses, and in TensorBoard."""

from __future__ import annotations

import shutil

import pytest
from tracking_readers import read_events, search

from bench.cli.app import main
from bench.results.store import find_run

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)


def test_bench_run_logs_to_both_and_export_adds_nothing_twice(tiny_run, tmp_path, clean_env, monkeypatch):
    """A real run's trials in MLflow (with the report and leaderboard CSV on the bench run) and
    TensorBoard; `bench export --to mlflow` afterwards finds every trial already logged."""
    results = tmp_path / "results"
    shutil.copytree(tiny_run, results / tiny_run.name)
    monkeypatch.setenv("AFB_RESULTS_DIR", str(results))
    monkeypatch.setenv("AFB_CACHE_DIR", str(tiny_run.parent.parent / "cache"))
    store = find_run(results, None)
    assert main(["run", "--resume", store.id, "--log-to", "mlflow", "--log-to", "tensorboard"]) == 0
    assert store.info()["config"]["log_to"] == ["mlflow", "tensorboard"]
    assert main(["export", store.id, "--to", "mlflow"]) == 0
    runs = search(store)
    trials = runs[runs["tags.bench.kind"] == "trial"]
    records = {r.id: r for r in store.trials()}
    assert len(trials) == len(records) and set(trials["tags.bench.trial_id"]) == set(records)
    parent = runs[runs["tags.bench.kind"] == "run"].iloc[0]
    assert parent["status"] == "FINISHED"
    client = mlflow.tracking.MlflowClient()
    assert {a.path for a in client.list_artifacts(parent["run_id"])} >= {"report.html", "leaderboard.csv"}
    trained = next(r for r in records.values() if r.history)
    row = trials[trials["tags.bench.trial_id"] == trained.id].iloc[0]
    losses = sorted(client.get_metric_history(row["run_id"], "loss"), key=lambda m: m.step)
    assert [m.value for m in losses] == pytest.approx(trained.history["loss"])
    events = read_events(store.dir / "tensorboard" / trained.id)
    assert [v for _, v in events["epoch/loss"]] == pytest.approx(trained.history["loss"])
