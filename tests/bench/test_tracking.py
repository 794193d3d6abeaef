"""`--log-to mlflow|tensorboard` and `bench export RUN --to`: a real SQLite MLflow store read
back with `mlflow.search_runs`, and real TensorBoard event files read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracking_readers import read_events, search

from bench.results import tracking
from bench.results.records import TrialRecord
from bench.results.store import RunStore

mlflow = pytest.importorskip("mlflow")

HISTORY = {"loss": [0.5, 0.3, 0.2], "val_loss": [0.6, 0.4, 0.45]}


def record(seed: int, status: str = "ok") -> dict:
    base = {
        "id": f"danceability--2dspec--mel--song--seed{seed}",
        "status": status,
        "target": "danceability",
        "model": "2dspec",
        "feature": "mel",
        "split": "song",
        "seed": seed,
        "source": "synthetic",
        "profile": "quick",
        "started": "2026-01-02T03:04:05+00:00",
        "finished": f"2026-01-02T03:05:0{seed}+00:00",
    }
    if status != "ok":
        return {**base, "error": "ValueError: broken"}
    metrics = {"song": {"r2": 0.25 + seed, "mae": 0.1}, "window": {"r2": 0.2}}
    return {**base, "metrics": metrics, "history": HISTORY, "best_epoch": 2, "timing": {"train_s": 1.5}, "params": 10}


def make_run(root: Path, records: list[dict]) -> RunStore:
    store = RunStore(root / "results" / "20260102-030405-abcd")
    store.dir.mkdir(parents=True)
    store.write_info(
        {
            "run_id": store.id,
            "status": "complete",
            "started": "2026-01-02T03:04:05+00:00",
            "config": {"source": "synthetic", "seeds": 2, "models": ["2dspec"], "tags": {"goal": "tracking"}},
            "profile": {"name": "quick", "epochs": 3, "learning_rate": 0.001},
            "data": {"fingerprint": "f00d"},
        }
    )
    for item in records:
        store.write_record(TrialRecord.from_dict(item))
    return store


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)


def test_mlflow_holds_one_run_per_trial_nested_under_the_bench_run(tmp_path, clean_env):
    store = make_run(tmp_path, [record(0), record(1), record(2, "failed")])
    store.update_info(status="interrupted")  # no report to write: the artifacts have their own test
    assert tracking.log_run(store, ["mlflow"]) == 3
    runs = search(store)
    parent = runs[runs["tags.bench.kind"] == "run"]
    trials = runs[runs["tags.bench.kind"] == "trial"].sort_values("tags.seed")
    assert len(parent) == 1 and len(trials) == 3
    assert parent.iloc[0]["status"] == "KILLED" and parent.iloc[0]["params.config.source"] == "synthetic"
    assert parent.iloc[0]["tags.data_digest"] == "f00d" and parent.iloc[0]["tags.goal"] == "tracking"
    assert set(trials["tags.mlflow.parentRunId"]) == {parent.iloc[0]["run_id"]}
    assert list(trials["tags.seed"]) == ["0", "1", "2"] and set(trials["tags.split"]) == {"song"}
    assert set(trials["tags.source"]) == {"synthetic"} and set(trials["tags.data_digest"]) == {"f00d"}
    assert list(trials["status"]) == ["FINISHED", "FINISHED", "FAILED"]
    assert trials.iloc[2]["tags.error"] == "ValueError: broken"
    assert list(trials["metrics.song.r2"])[:2] == [0.25, 1.25]
    assert trials.iloc[0]["params.model"] == "2dspec" and trials.iloc[0]["params.profile.epochs"] == "3"
    client = mlflow.tracking.MlflowClient()
    for name, values in HISTORY.items():
        history = client.get_metric_history(trials.iloc[0]["run_id"], name)
        assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == list(enumerate(values, start=1))


def test_logging_again_adds_only_new_records(tmp_path, clean_env):
    store = make_run(tmp_path, [record(0)])
    store.update_info(status="interrupted")
    tracking.log_run(store, ["mlflow"])
    store.write_record(TrialRecord.from_dict(record(1)))
    tracking.log_run(store, ["mlflow"])
    tracking.log_run(store, ["mlflow"])
    runs = search(store)
    assert (runs["tags.bench.kind"] == "run").sum() == 1
    assert sorted(runs[runs["tags.bench.kind"] == "trial"]["tags.seed"]) == ["0", "1"]


def test_mlflow_tracking_uri_from_the_environment(tmp_path, monkeypatch):
    store = make_run(tmp_path, [record(0)])
    store.update_info(status="interrupted")
    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{elsewhere}")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "mine")
    tracking.log_run(store, ["mlflow"])
    assert elsewhere.exists() and not (store.dir.parent / "mlflow.db").exists()
    mlflow.set_tracking_uri(f"sqlite:///{elsewhere}")
    assert len(mlflow.search_runs(experiment_names=["mine"])) == 2


def test_tensorboard_event_files_hold_every_epoch(tmp_path):
    store = make_run(tmp_path, [record(0), record(1, "failed")])
    tracking.log_run(store, ["tensorboard"])
    tracking.log_run(store, ["tensorboard"])  # again: replaces, never doubles, the curves
    folders = sorted((store.dir / "tensorboard").iterdir())
    assert [f.name for f in folders] == [record(0)["id"]]  # a failed trial has no curves
    scalars = read_events(folders[0])
    for name, values in HISTORY.items():
        assert [step for step, _ in scalars[f"epoch/{name}"]] == [1, 2, 3]
        assert [value for _, value in scalars[f"epoch/{name}"]] == pytest.approx(values)
    assert scalars["final/song.r2"] == [(3, 0.25)]


def test_a_tracker_that_is_not_installed_is_refused_before_the_run(monkeypatch):
    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match=r"pip install 'audio-feature-bench\[mlflow\]'"):
        tracking.check(["mlflow"])
    with pytest.raises(ValueError, match="unknown tracker 'wandb'"):
        tracking.check(["wandb"])


def test_a_tracker_that_fails_mid_run_is_dropped_with_a_warning(tmp_path):
    class Broken:
        def trial(self, record):
            raise ConnectionError("server gone")

        def finish(self, status):
            raise AssertionError("a dropped tracker is not finished")

    warnings: list[str] = []
    trackers = tracking.Trackers([], make_run(tmp_path, []), warnings.append)
    trackers.active = {"mlflow": Broken()}
    trackers.trial(record(0))
    trackers.finish("complete")
    assert warnings == ["--log-to mlflow stopped: ConnectionError: server gone"]
