"""Reading results needs the records only: a damaged record is skipped with one warning naming
it, a damaged run.json is one error naming it, and a run made with a plugin that is gone
still renders its leaderboard, report, comparison and export."""

from __future__ import annotations

import json
import shutil

import pytest
from fake_runs import scored_run
from rich.console import Console

from bench.cli.app import main

READERS = (
    ["leaderboard", "{run}"],
    ["leaderboard", "{run}", "--format", "csv"],
    ["leaderboard", "{run}", "--format", "json"],
    ["report", "{run}"],
    ["compare", "{clean}", "{run}", "--fail-if-worse", "5"],
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def command(template: list[str], run, clean=None) -> list[str]:
    """The command line of `template` on `run` (compare: `clean`, or `run` itself, as A)."""
    return [part.format(run=run, clean=clean or run) for part in template]


@pytest.mark.parametrize("template", READERS, ids=lambda t: " ".join(t[:1] + t[2:]))
def test_a_truncated_record_is_skipped_with_one_warning_naming_it(tmp_path, capsys, template):
    clean, run = scored_run(tmp_path / "clean"), scored_run(tmp_path / "run")
    damaged = run / "trials" / "danceability--good--dsp--song--seed1.json"
    damaged.write_text(damaged.read_text()[:300])
    assert main(command(template, run, clean)) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and str(damaged) in warnings[0] and "not valid JSON" in warnings[0]
    assert "good" in captured.out or template[0] == "report"


def test_a_damaged_run_json_is_one_error_naming_it(tmp_path, capsys):
    run = scored_run(tmp_path / "run")
    (run / "run.json").write_text('{"run_id": "x", "config": {')
    assert main(["leaderboard", str(run)]) == 1
    out = capsys.readouterr().out
    assert f"error: {run / 'run.json'}: not valid JSON" in out.replace("\n", "")
    assert "Traceback" not in out


def test_a_run_whose_plugin_is_gone_still_reads(tmp_path, capsys):
    """The run used a plugin module with a metric of its own; the module is not importable now."""
    run = scored_run(tmp_path / "run", plugins=("gone_plugin_module",), extra_metrics={"max-error": 0.25})
    for template in READERS:
        assert main(command(template, run)) == 0, template
    assert "gone_plugin_module" not in capsys.readouterr().out
    assert main(["leaderboard", str(run), "--format", "json"]) == 0
    cells = {c["model"]: c for c in json.loads(capsys.readouterr().out)["cells"]}
    assert cells["good"]["mean"]["song.max-error"] == 0.25  # a plugin metric's values come from the records
    assert cells["good"]["paired"][0]["verdict"] == "better"  # the built-in R² is recomputed without the plugin


@pytest.mark.integration
def test_a_real_run_made_with_a_plugin_that_is_gone_still_reads(tiny_run, tmp_path, capsys):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    info = json.loads((run / "run.json").read_text())
    info["config"]["plugins"] = ["gone_plugin_module"]
    (run / "run.json").write_text(json.dumps(info))
    for template in READERS:
        assert main(command(template, run)) == 0, template
    assert "2dspec" in capsys.readouterr().out
