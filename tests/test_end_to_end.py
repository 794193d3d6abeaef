"""`bench run` end to end on tiny data: features, isolated trials, records, leaderboard, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.results.store import find_run

TINY_ARGS = ["--songs", "8", "--seconds", "12", "--epochs", "2", "--jobs", "2"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Leaderboards as a wide terminal shows them, without wrapping."""
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def run_ids(results: Path) -> list[str]:
    return sorted(p.name for p in results.iterdir())


@pytest.mark.integration
def test_run_all_writes_records_and_a_leaderboard(isolated, capsys):
    assert main(["run", "--all", "--seeds", "2", *TINY_ARGS]) == 0
    out = capsys.readouterr().out
    store = find_run(isolated / "results", None)
    info = store.info()
    records = [r.to_dict() for r in store.trials()]
    models = {"1dwav", "2dwav", "2dspec", "3dspec", "mean", "dsp-ridge", "probe-mel", "probe-wav"}
    assert {r["model"] for r in records} == models
    assert {r["split"] for r in records} == {"window", "song", "artist"}
    assert len(records) == len(models) * 3 * 2 and all(r["status"] == "ok" for r in records)
    cnn = next(r for r in records if r["model"] == "2dspec")
    assert cnn["peak_rss_mb"] > 50 and cnn["params"] > 1000 and cnn["timing"]["train_s"] > 0
    assert set(cnn["metrics"]["song"]) >= {"r2", "mae", "rmse", "pearson", "spearman"}
    assert info["status"] == "complete" and info["versions"]["keras"] and info["machine"]["cpus"]
    assert "leak report" in out and "2 seeds" in out and "window (leaky)" in out

    # The leaderboard renders again from disk alone, as markdown too.
    assert main(["leaderboard", store.id, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| dsp-ridge |" in markdown or "| _dsp-ridge_ |" in markdown


@pytest.mark.integration
def test_failing_plugins_fail_only_their_own_trials(isolated, capsys):
    args = [
        "run",
        "--plugin",
        "broken_plugins",
        "--model",
        "broken-*",
        "--model",
        "mean",
        "--split",
        "song",
        "--seeds",
        "1",
    ]
    assert main(args + TINY_ARGS) == 3  # completed, with failed trials
    store = find_run(isolated / "results", None)
    records = {r.model: r.to_dict() for r in store.trials()}
    assert records["mean"]["status"] == "ok"
    assert records["broken-raises"]["status"] == "failed"
    assert "RuntimeError: this model cannot be built" in records["broken-raises"]["error"]
    assert records["broken-exits"]["status"] == "failed"
    assert "exited with code 3" in records["broken-exits"]["error"]
    out = capsys.readouterr().out
    assert "failed:" in out and "2 failed trial(s)" in out

    # --resume retries the failed trials (they fail again) and counts what is on disk
    assert main(["run", "--resume", store.id]) == 3
    assert "2 failed before and retried" in capsys.readouterr().out
    assert store.info()["failed_trials"] == 2


@pytest.mark.integration
def test_same_seed_same_metrics_and_resume_skips_finished_trials(isolated):
    args = ["run", "--model", "2dspec", "--model", "mean", "--split", "song", "--seeds", "1", *TINY_ARGS]
    assert main(args) == 0
    assert main(args) == 0
    first, second = (find_run(isolated / "results", rid) for rid in run_ids(isolated / "results"))
    assert metric_values([r.to_dict() for r in first.trials()]) == pytest.approx(
        metric_values([r.to_dict() for r in second.trials()]), nan_ok=True
    )

    # Resume: delete one record, and only that trial runs again.
    victim = first.record_path("danceability--2dspec--mel--song--seed0")
    kept = first.record_path("danceability--mean--dsp--song--seed0")
    kept_before = kept.read_text()
    victim.unlink()
    assert main(["run", "--resume", first.id]) == 0
    assert victim.exists() and kept.read_text() == kept_before
    rerun = json.loads(victim.read_text())
    original = second.read_record(rerun["id"]).to_dict()
    assert metric_values([rerun]) == pytest.approx(metric_values([original]), nan_ok=True)


def metric_values(records: list[dict]) -> list[float]:
    return [
        v
        for r in sorted(records, key=lambda r: r["id"])
        for level in ("window", "song")
        for _, v in sorted(r["metrics"][level].items())
    ]


def test_run_without_a_selection_says_what_to_do(isolated):
    with pytest.raises(SystemExit, match="--all"):
        main(["run"])


def test_unknown_model_is_one_clear_line(isolated, capsys):
    assert main(["run", "--model", "nope", *TINY_ARGS]) == 1
    assert "Unknown model 'nope'" in capsys.readouterr().out
