"""GPU readiness, tested without a GPU: `--mixed-precision` (refused where a trial sees no GPU,
applied and put back where it does, kept in run.json) and the Ray resources trials and
feature tasks ask for."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from bench.cli.app import build_parser
from bench.cli.arguments import run_config
from bench.profiles import QUICK
from bench.trial import execute as trial
from bench.trial.execute import TrialSpec, base_record


def spec(tmp_path, mixed_precision: bool) -> TrialSpec:
    return TrialSpec(
        run_dir=str(tmp_path),
        source="synthetic",
        feature="mel",
        model="2dspec",
        split="song",
        seed=0,
        target="danceability",
        profile=QUICK.to_dict(),
        mixed_precision=mixed_precision,
    )


def test_the_flag_reaches_the_run_config_that_run_json_stores():
    parser = build_parser()
    asked = run_config(parser.parse_args(["run", "--model", "2dspec", "--mixed-precision"]))
    default = run_config(parser.parse_args(["run", "--model", "2dspec"]))
    assert asdict(asked)["mixed_precision"] is True and asdict(default)["mixed_precision"] is False


def test_mixed_precision_is_refused_where_the_trial_sees_no_gpu(tmp_path, monkeypatch):
    monkeypatch.setattr(trial, "gpu_visible", lambda: False)
    record = trial.execute(spec(tmp_path, True), write=False)
    assert record.status == "failed" and record.extra["mixed_precision"] is True
    assert "--mixed-precision needs a GPU" in record.error and "drop --mixed-precision" in record.error


def test_mixed_precision_holds_during_the_trial_and_is_put_back(tmp_path, monkeypatch):
    from bench.trial.quiet import keras

    seen = {}

    def fake_trial(spec, registry):
        seen["policy"] = keras.mixed_precision.global_policy().name
        record = base_record(spec)
        record.status = "ok"
        return record

    monkeypatch.setattr(trial, "gpu_visible", lambda: True)
    monkeypatch.setattr(trial, "run_trial", fake_trial)
    trial.execute(spec(tmp_path, True), registry=object(), write=False)
    assert seen["policy"] == "mixed_float16"
    assert keras.mixed_precision.global_policy().name == "float32"
    record = trial.execute(spec(tmp_path, False), registry=object(), write=False)
    assert seen["policy"] == "float32" and "mixed_precision" not in record.extra  # a float32 record keeps its old shape


def test_trials_ask_for_one_gpu_each_only_when_the_cluster_has_gpus(monkeypatch):
    pytest.importorskip("ray")
    from bench.pipeline import ray_executor

    monkeypatch.setattr(ray_executor, "_largest_node_cpus", lambda: 8)
    monkeypatch.setattr(ray_executor.ray, "cluster_resources", lambda: {"CPU": 16.0, "GPU": 2.0})
    assert ray_executor.trial_resources(2) == {"num_cpus": 2, "num_gpus": 1}
    assert ray_executor.trial_resources(32) == {"num_cpus": 8, "num_gpus": 1}  # no node has 32 CPUs
    monkeypatch.setattr(ray_executor.ray, "cluster_resources", lambda: {"CPU": 16.0})
    assert ray_executor.trial_resources(2) == {"num_cpus": 2, "num_gpus": 0}
    # Feature tasks stay on CPUs whatever the cluster has.
    assert ray_executor.FEATURE_TASK == {"num_cpus": 1, "num_gpus": 0}
