"""The --fail-if-worse gate fails when it judged nothing, whichever run lacks the scores."""

from __future__ import annotations

from fake_runs import scored_run, write_run
from rich.console import Console

from bench.cli.app import main
from bench.results.store import RunStore


def test_the_gate_fails_when_a_has_no_successful_trial(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    b = scored_run(tmp_path / "b")
    failed = [{**r.to_dict(), "status": "failed", "error": "planted"} for r in RunStore(b).trials()]
    for r in failed:
        r.pop("metrics")
    a = write_run(tmp_path / "a", failed)
    assert main(["compare", str(a), str(b), "--fail-if-worse", "5"]) == 1
    assert "A has no successful trial" in capsys.readouterr().out
    assert main(["compare", str(write_run(tmp_path / "empty", [])), str(b), "--fail-if-worse", "5"]) == 1
