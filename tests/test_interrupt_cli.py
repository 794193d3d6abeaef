"""Ctrl-C during a run's start-up: one line, no traceback from the runner, the fork server or
the feature probe, and the real run id to resume once the run folder exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from subprocesses import bench_env

ARGS = ["run", "--model", "mean", "--model", "1dwav", "--epochs", "1", "--songs", "8", "--seconds", "6", "--seeds", "1"]


# 130, or death by SIGINT after the message (seen when the Ctrl-C lands inside an import of scipy):
# a shell's $? is 130 for both.
CTRL_C_EXIT = (130, -signal.SIGINT)


def _terminal_sigint() -> None:
    """Ctrl-C's default action in the child, as in a terminal: a background job of a shell
    (`pytest ... &`) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *ARGS, "--split", "song", *extra],
        env=bench_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_terminal_sigint,
    )


def _interrupt(process: subprocess.Popen) -> tuple[str, str]:
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    return process.communicate(timeout=120)


@pytest.mark.integration
@pytest.mark.parametrize(
    "after", [0.02, 0.2, 1.0, 3.0]
)  # s after run.json: forks, the probe, the fork server's keras import
def test_ctrl_c_once_the_run_folder_exists_names_it(tmp_path, after):
    process = _start(tmp_path)
    deadline = time.monotonic() + 240
    while not list((tmp_path / "results").glob("*/run.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(after)
    out, err = _interrupt(process)
    (run,) = [p.parent.name for p in (tmp_path / "results").glob("*/run.json")]
    assert process.returncode in CTRL_C_EXIT, out + err
    assert f"continue with `bench run --resume {run}`" in out and "RUN_ID" not in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


@pytest.mark.integration
def test_ctrl_c_before_a_run_started_promises_nothing(tmp_path):
    # A plugin whose import says so and then takes its time: the Ctrl-C lands while plugins load.
    slow = tmp_path / "slow_plugin.py"
    slow.write_text("import sys, time\nprint('importing', file=sys.stderr, flush=True)\ntime.sleep(60)\n")
    process = _start(tmp_path, "--plugin", str(slow))
    assert process.stderr is not None and process.stderr.readline().strip() == "importing"
    out, err = _interrupt(process)
    assert process.returncode in CTRL_C_EXIT, out + err
    assert "No run had started" in out and "Traceback" not in err, err


@pytest.mark.integration
def test_the_trial_fork_server_never_sees_a_ctrl_c_and_still_serves():
    from multiprocessing import forkserver

    from bench.pipeline.executors import ProcessExecutor

    executor = ProcessExecutor(1)
    executor.warm_up()
    server = forkserver._forkserver._forkserver_pid
    time.sleep(0.5)  # inside its keras import
    os.kill(server, signal.SIGINT)
    assert executor._warming is not None
    executor._warming.join(timeout=120)  # the server forked its first child after all
    assert os.waitpid(server, os.WNOHANG) == (0, 0)
