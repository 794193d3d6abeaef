"""Execution guarantees: a killed run resumes without redoing finished trials, and the Ray
executor records the same results as the local one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from subprocesses import bench_env

from bench.cli.app import main
from bench.results.store import find_run

TINY = ["--songs", "8", "--seconds", "12", "--epochs", "2", "--split", "song", "--seeds", "2"]


def bench_process(tmp_path: Path, *args: str) -> subprocess.Popen:
    """`bench ARGS` started in its own session, so the test can kill it with everything it forked."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *args],
        env=bench_env(tmp_path),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_records(trials: Path, count: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if trials.exists() and len(list(trials.glob("*.json"))) >= count:
            return
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.2)
    raise TimeoutError(f"fewer than {count} records after {timeout} s")


@pytest.mark.integration
def test_a_killed_run_resumes_without_rerunning_finished_trials(isolated, monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    args = ["run", "--model", "mean", "--model", "dsp-ridge", "--model", "2dspec", "--jobs", "1", *TINY]
    process = bench_process(isolated, *args)
    results = isolated / "results"
    deadline = time.monotonic() + 300
    while not list(results.glob("*/trials")) and time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.2)
    trials = next(results.glob("*/trials"))
    wait_for_records(trials, 3, process)
    os.killpg(process.pid, signal.SIGKILL)  # the whole session: runner, fork server, trial
    process.wait()

    store = find_run(results, None)
    assert store.info()["status"] == "running"
    finished = {p.name: p.read_text() for p in trials.glob("*.json")}
    assert 3 <= len(finished) < 6
    assert all(json.loads(text)["status"] == "ok" for text in finished.values())

    assert main(["run", "--resume", store.id]) == 0
    after = {p.name: p.read_text() for p in trials.glob("*.json")}
    assert len(after) == 6 and store.info()["status"] == "complete"
    assert all(after[name] == text for name, text in finished.items())  # untouched, not re-run


@pytest.mark.integration
def test_ray_executor_records_what_the_local_executor_records(isolated, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    args = ["run", "--model", "mean", "--model", "dsp-ridge", "--jobs", "2", *TINY]
    assert main([*args, "--executor", "process"]) == 0
    assert main([*args, "--executor", "ray"]) == 0
    local, remote = (find_run(isolated / "results", p.name) for p in sorted((isolated / "results").iterdir()))
    assert remote.info()["config"]["executor"] == "ray"

    def scores(store):
        return {r.id: (r.status, r.metrics["song"]["mae"], r.songs.pred) for r in store.trials()}

    assert scores(local) == scores(remote) and len(scores(local)) == 4


@pytest.mark.integration
def test_inline_executor_records_what_the_process_executor_records(isolated, monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    args = ["run", "--model", "mean", "--model", "dsp-ridge", *TINY]
    assert main([*args, "--executor", "process"]) == 0
    assert main([*args, "--executor", "inline"]) == 0
    process, inline = (find_run(isolated / "results", p.name) for p in sorted((isolated / "results").iterdir()))
    songs = lambda store: {r.id: r.songs.pred for r in store.trials()}  # noqa: E731
    assert songs(process) == songs(inline) and len(songs(inline)) == 4
