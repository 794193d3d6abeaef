"""Trial workers that live across trials: a worker that dies or hangs fails its trial alone and
is replaced; a killed runner takes its workers with it; one run has one runner at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from subprocesses import bench_env

from bench.results.store import find_run

PLUGIN = str(Path(__file__).parent / "fixtures" / "lifetime_plugins.py")
TINY = ["--songs", "8", "--seconds", "12", "--split", "song", "--jobs", "1"]


def _env(tmp_path: Path) -> dict[str, str]:
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    return bench_env(tmp_path, AFB_TEST_MARKERS=str(markers))


def _bench(tmp_path: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *args], env=_env(tmp_path), start_new_session=True, **popen
    )


def _session(sid: int) -> list[int]:
    """The live (not zombie) processes of session `sid`."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            alive.append(int(entry.name))
    return alive


@pytest.mark.integration
def test_a_dead_or_hung_worker_fails_its_trial_alone_and_is_replaced(tmp_path):
    args = ["run", "--plugin", PLUGIN, "--model", "mean", "--model", "dies-once", "--model", "hangs-once"]
    process = _bench(tmp_path, *args, *TINY, "--seeds", "2", "--trial-timeout", "10", stdout=subprocess.PIPE)
    output = process.communicate(timeout=300)[0].decode()
    assert process.returncode == 3, output  # completed, with failed trials
    records = {(r.model, r.seed): r.to_dict() for r in find_run(tmp_path / "results", None).trials()}
    assert len(records) == 6
    died, hung = records["dies-once", 0], records["hangs-once", 0]
    assert died["status"] == "failed" and "died from SIGKILL" in died["error"]
    assert hung["status"] == "failed" and hung["error"] == "timed out after 10 s (--trial-timeout)"
    others = [r for key, r in records.items() if key not in {("dies-once", 0), ("hangs-once", 0)}]
    assert all(r["status"] == "ok" for r in others)
    mean0, mean1 = records["mean", 0]["worker"], records["mean", 1]["worker"]
    assert mean0["pid"] == mean1["pid"] and (mean0["trial"], mean1["trial"]) == (1, 2)  # one worker, two trials
    after_death, after_hang = records["dies-once", 1]["worker"], records["hangs-once", 1]["worker"]
    assert after_death["pid"] != mean0["pid"] and after_death["trial"] == 1  # a fresh worker
    assert after_hang["pid"] != after_death["pid"] and after_hang["trial"] == 1


@pytest.mark.integration
def test_a_killed_runner_leaves_no_process_and_holds_its_run_alone(tmp_path):
    log = open(tmp_path / "runner.log", "w")  # noqa: SIM115 - the runner's, closed when it is killed
    args = ["run", "--plugin", PLUGIN, "--model", "hangs", *TINY[:-1], "2", "--seeds", "2"]
    runner = _bench(tmp_path, *args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while len(list((tmp_path / "markers").glob("hangs-*"))) < 2:  # both workers are in a trial
        assert runner.poll() is None and time.monotonic() < deadline, (tmp_path / "runner.log").read_text()
        time.sleep(0.2)
    store = find_run(tmp_path / "results", None)
    second = _bench(tmp_path, "run", "--resume", store.id, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    refusal = second.communicate(timeout=120)[0].decode()
    assert second.returncode == 1 and f"pid {runner.pid}" in refusal, refusal

    os.kill(runner.pid, signal.SIGKILL)  # the runner alone: its workers must notice
    runner.wait()
    log.close()
    deadline = time.monotonic() + 5
    while _session(runner.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {
        pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in _session(runner.pid)
    }
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the killed run still alive after 5 s: {left}"
