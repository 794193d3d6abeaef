"""Ctrl-C says which run to resume by its real id, or that none had started."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from bench.cli.app import Terminated, interrupted
from bench.frameworks import listen_to_epochs, report_epoch


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
