"""`--deterministic`: one thread per trial, so a seed gives the same numbers at any --jobs."""

from __future__ import annotations

import os

import pytest

from bench.cli.app import main
from bench.pipeline.config import RunConfig
from bench.pipeline.runner import plan
from bench.registry import load_registry
from bench.results.store import find_run

TINY = ["--songs", "8", "--seconds", "12", "--epochs", "2", "--model", "1dwav", "--split", "song", "--seeds", "1"]


@pytest.mark.parametrize("jobs", [1, 2, 8])
def test_deterministic_plans_one_thread_per_trial_at_any_jobs(tmp_path, jobs):
    config = RunConfig(models=["1dwav"], splits=["song"], seeds=1, jobs=jobs, deterministic=True)
    specs = plan(load_registry(), config, tmp_path, ["song"])
    assert specs and all(s.threads == 1 and s.deterministic for s in specs)


def test_threads_follow_jobs_without_it(tmp_path):
    config = RunConfig(models=["1dwav"], splits=["song"], seeds=1, jobs=1)
    (spec,) = plan(load_registry(), config, tmp_path, ["song"])
    assert spec.threads == (os.cpu_count() or 1) and not spec.deterministic


@pytest.mark.integration
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="--jobs 1 and 2 give one thread each on one CPU")
def test_same_predictions_at_jobs_1_and_2(isolated):
    """Without the flag, --jobs 1 trains on every CPU's thread and the float sums change."""
    for jobs in ("1", "2"):
        assert main(["run", *TINY, "--jobs", jobs, "--deterministic"]) == 0
    runs = sorted(p.name for p in (isolated / "results").iterdir())
    records = [[r.to_dict() for r in find_run(isolated / "results", rid).trials()] for rid in runs]
    (first,), (second,) = records
    assert first["threads"] == second["threads"] == 1 and first["deterministic"] is True
    assert first["songs"]["pred"] == second["songs"]["pred"]  # bit-equal, not approximately


@pytest.mark.integration
def test_a_worker_reused_across_trials_gives_a_fresh_process_s_numbers(isolated, monkeypatch):
    """Seed 1 trained after seed 0 in one worker equals seed 1 trained in a worker of its own."""
    args = ["run", *TINY[:-1], "2", "--jobs", "1", "--deterministic"]
    for per_worker in ("1", "100"):  # a process per trial, then one worker for both trials
        monkeypatch.setenv("AFB_WORKER_TRIALS", per_worker)
        assert main(args) == 0
    runs = sorted(p.name for p in (isolated / "results").iterdir())
    fresh, reused = ({r.id: r.to_dict() for r in find_run(isolated / "results", rid).trials()} for rid in runs)
    assert {r["worker"]["trial"] for r in fresh.values()} == {1}
    assert sorted(r["worker"]["trial"] for r in reused.values()) == [1, 2]
    # the second trial of the worker trained seed 0's compiled model, re-initialised as seed 1
    assert sorted(r["reused_compiled_model"] for r in reused.values()) == [False, True]
    assert not any(r["reused_compiled_model"] for r in fresh.values())
    assert {k: r["songs"]["pred"] for k, r in fresh.items()} == {k: r["songs"]["pred"] for k, r in reused.items()}
