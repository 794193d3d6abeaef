"""Ctrl-C says which run to resume by its real id, or that none had started; a Ctrl-C that
surfaced as an interrupted import is handled as one."""

from __future__ import annotations

import ast
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fake_runs import write_run
from rich.console import Console

from bench.cli import app
from bench.cli.app import Terminated, interrupted
from bench.features.extraction import TrackJob, extract
from bench.features.pool import _ProbeChild
from bench.frameworks import listen_to_epochs, report_epoch
from bench.interrupts import ctrl_c_blocked, ctrl_c_deferred, interruption
from bench.pipeline import runner
from bench.profiles import QUICK
from bench.results.store import RunStore
from bench.specs import FeatureSpec


def _interrupted_import() -> ImportError:
    """What pybind11 raises when Ctrl-C lands while its extension module initialises."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise ImportError("initialization failed") from stop
    except ImportError as error:
        return error


@pytest.fixture
def console(monkeypatch):
    console = Console(width=200, record=True)
    monkeypatch.setattr("bench.cli.terminal.console", console)
    return console


def test_the_message_names_the_run_the_runner_was_in(console):
    stop = KeyboardInterrupt()
    stop.run_id = "20260101-000000-abcd"  # what bench.pipeline.runner attaches
    assert interrupted(stop) == 130
    assert "continue with `bench run --resume 20260101-000000-abcd`" in console.export_text()


def test_before_a_run_started_nothing_is_promised(console):
    assert interrupted(Terminated()) == 143
    text = console.export_text()
    assert "Terminated. No run had started" in text and "--resume" not in text


def test_a_ctrl_c_behind_another_error_is_found_and_a_plain_error_is_not():
    assert isinstance(interruption(_interrupted_import()), KeyboardInterrupt)
    assert isinstance(interruption(Terminated()), Terminated)
    assert interruption(ImportError("initialization failed")) is None


def test_an_import_interrupted_while_plugins_load_ends_as_ctrl_c(console, monkeypatch):
    def load(plugins):
        raise _interrupted_import()

    monkeypatch.setattr("bench.cli.app.load_registry", load)
    assert app.main(["runs"]) == 130  # before any command runs
    text = console.export_text()
    assert "Interrupted. No run had started" in text and "initialization failed" not in text


def test_an_import_interrupted_during_a_run_marks_it_interrupted_and_names_it(tmp_path):
    store = RunStore(write_run(tmp_path / "20260101-000000.000-abcd", []))
    with pytest.raises(KeyboardInterrupt) as stop:
        with runner.ending_recorded(store):
            raise _interrupted_import()
    assert stop.value.run_id == store.id
    assert store.info()["status"] == "interrupted"


def test_a_run_that_fails_says_so_and_why(tmp_path):
    store = RunStore(write_run(tmp_path / "20260101-000000.000-abcd", []))
    with pytest.raises(ImportError), runner.ending_recorded(store):
        raise ImportError("initialization failed")
    assert store.info()["status"] == "failed" and "initialization failed" in store.info()["error"]


def test_an_import_interrupted_inside_a_feature_stops_the_stage_rather_than_failing_the_clip(tmp_path):
    def compute(window, profile):
        raise _interrupted_import()  # a feature importing its library lazily, on its first window

    feature = FeatureSpec("lazy", "imports on first use", "1", compute, lambda profile: (2,), ())
    path = tmp_path / "song.wav"
    soundfile.write(path, np.zeros((QUICK.sample_rate * 6, 2), np.float32), QUICK.sample_rate)
    job = TrackJob(0, str(path), {"lazy": "k" * 24}, (), QUICK, str(tmp_path / "cache"), "pad")
    with pytest.raises(KeyboardInterrupt):
        extract(job, {"lazy": feature})


def test_a_ctrl_c_inside_a_deferred_block_is_raised_when_the_block_ends():
    before, reached = signal.getsignal(signal.SIGINT), False
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, and only notes it
            reached = True
    assert reached and signal.getsignal(signal.SIGINT) is before
    with ctrl_c_deferred():
        pass  # no Ctrl-C: nothing raised


def test_a_program_started_with_ctrl_c_blocked_never_sees_it_and_this_process_still_does():
    with ctrl_c_blocked():
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(0.3); print('survived')"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    child.stdin.write("started\n")
    child.stdin.flush()
    time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    assert child.communicate(timeout=30)[0].strip() == "survived" and child.returncode == 0
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_blocked():
            os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)


_CTRL_C_IN_FORK = {"armed": False}
os.register_at_fork(before=lambda: _CTRL_C_IN_FORK["armed"] and os.kill(os.getpid(), signal.SIGINT))


def test_a_ctrl_c_while_the_probe_forks_stops_the_run_instead_of_vanishing(tmp_path):
    # Raised inside os.fork's hooks, a KeyboardInterrupt is printed as "ignored" and dropped.
    feature = FeatureSpec("level", "mean level", "1", lambda window, profile: window.mean(axis=1), lambda p: (2,), ())
    _CTRL_C_IN_FORK["armed"] = True
    try:
        with pytest.raises(KeyboardInterrupt):
            _ProbeChild({"level": feature}, ["level"], QUICK)
    finally:
        _CTRL_C_IN_FORK["armed"] = False
    assert not multiprocessing.active_children()  # the probe went with the run


def _swallows_ctrl_c(handler: ast.ExceptHandler) -> bool:
    """An `except Exception` whose first act is not to re-raise a Ctrl-C hidden in the error."""
    if not (isinstance(handler.type, ast.Name) and handler.type.id == "Exception"):
        return False
    first = handler.body[0]
    call = first.value if isinstance(first, ast.Expr) else None
    return not (
        isinstance(call, ast.Call)
        and getattr(call.func, "id", None) == "reraise_interruption"
        and [getattr(a, "id", None) for a in call.args] == [handler.name]
    )


def test_no_broad_except_in_the_core_can_swallow_a_ctrl_c():
    core = Path(__file__).parents[2] / "bench"
    found = [
        f"{path.relative_to(core)}:{node.lineno}"
        for path in core.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and _swallows_ctrl_c(node)
    ]
    assert not found, found


def test_no_message_says_the_literal_run_id_placeholder():
    core = Path(__file__).parents[2] / "bench"
    said = [p for p in core.rglob("*.py") if "--resume RUN_ID`" in p.read_text()]
    assert not said


def test_epochs_reach_the_listener_and_nowhere_without_one():
    heard: list = []
    listen_to_epochs(lambda done, total: heard.append((done, total)))
    try:
        report_epoch(1, 3)
    finally:
        listen_to_epochs(None)
    report_epoch(2, 3)
    assert heard == [(1, 3)]
