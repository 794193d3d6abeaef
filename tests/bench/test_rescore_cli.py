"""`bench leaderboard RUN --metric NAME` and `bench rescore RUN` with a one-file metric plugin
installed after the run (tests/fixtures/late_metric.py), on a run folder written directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_runs import scored_run
from rich.console import Console

from bench.cli.app import main

PLUGIN = str(Path(__file__).parents[1] / "fixtures" / "late_metric.py")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def test_an_old_run_learns_a_new_metric(tmp_path, capsys):
    run = scored_run(tmp_path / "results" / "20260101-000000-aaaa")
    assert main(["leaderboard", str(run), "--metric", "medae", "--plugin", PLUGIN]) == 0
    shown = capsys.readouterr().out
    assert "song medae" in shown and "computed now from each trial's stored song predictions" in shown

    assert main(["rescore", str(run), "--metric", "medae", "--plugin", PLUGIN]) == 0
    assert "song medae: written into 4 trial record(s)" in capsys.readouterr().out
    for path in (run / "trials").glob("*.json"):
        assert "medae" in json.loads(path.read_text())["metrics"]["song"]

    assert main(["leaderboard", str(run), "--metric", "medae"]) == 0  # recorded now: no plugin needed
    shown = capsys.readouterr().out
    assert "song medae" in shown and "computed now" not in shown


def test_an_unknown_metric_is_an_error_naming_it(tmp_path, capsys):
    run = scored_run(tmp_path / "results" / "20260101-000000-aaaa")
    assert main(["rescore", str(run), "--metric", "nope"]) == 1
    out = capsys.readouterr().out
    assert "--metric nope" in out and "Installed metrics: " in out


def test_the_runs_own_plugins_are_never_imported(tmp_path, capsys):
    """run.json names a plugin file that would leave a mark when imported: reading it and
    rescoring it load only what the command line names."""
    mark = tmp_path / "imported"
    evil = tmp_path / "evil_metric.py"
    evil.write_text(f"open({str(mark)!r}, 'w').close()\n")
    run = scored_run(tmp_path / "results" / "20260101-000000-aaaa", plugins=(str(evil),))
    assert main(["rescore", str(run), "--metric", "medae", "--plugin", PLUGIN]) == 0
    assert main(["leaderboard", str(run), "--metric", "medae"]) == 0
    assert not mark.exists()
