"""`--train-hop-seconds` through `bench run` and `bench compare`: the extra windows reach training only."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.results.store import find_run

TINY = ["--songs", "24", "--seconds", "12", "--window-seconds", "4", "--seeds", "2", "--executor", "inline"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def test_a_bad_training_hop_stops_the_run_before_it_starts(isolated, capsys):
    assert main(["run", "--model", "mean", "--train-hop-seconds", "3", *TINY]) == 1
    assert "--train-hop-seconds must be shorter than the hop (4 s)" in capsys.readouterr().out
    assert not (isolated / "results").exists()


def _trials(store) -> dict[str, dict]:
    return {r.id: r.to_dict() for r in store.trials()}


@pytest.mark.integration
def test_extra_windows_reach_training_only(isolated, capsys):
    args = ["run", "--model", "mean", "--split", "song", "--split", "window", *TINY]
    assert main([*args, "--name", "plain"]) == 0
    assert main([*args, "--name", "fine", "--train-hop-seconds", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    plain, fine = find_run(isolated / "results", "plain"), find_run(isolated / "results", "fine")

    starts = json.loads((fine.dir / "dataset.json").read_text())["window_start"]
    assert starts[:6] == [0.0, 2.0, 4.0, 6.0, 8.0, 0.0]  # a 4 s window every 2 s of each 12 s song
    assert fine.info()["source"]["windows"] == plain.info()["source"]["windows"] == 24 * 3
    assert fine.info()["source"]["training_windows"] == 24 * 5
    assert "window 4 s, hop 4 s, training windows every 2 s (120 windows)" in out
    assert fine.info()["data"]["fingerprint"] == plain.info()["data"]["fingerprint"]  # scored on the same windows

    before, after = _trials(plain), _trials(fine)
    assert before.keys() == after.keys() and len(before) == 4
    for trial, record in before.items():
        again = after[trial]
        assert again["songs"]["track"] == record["songs"]["track"]  # the same test songs
        assert again["n_test_windows"] == record["n_test_windows"]
        assert again["n_validation_windows"] == record["n_validation_windows"]
        assert again["fold_counts"] == record["fold_counts"]
        assert again["n_train_windows"] > record["n_train_windows"]

    assert main(["compare", str(plain.dir), str(fine.dir)]) == 0  # the same data: compared, not refused
    compared = capsys.readouterr().out
    assert "settings differ: profile.train_hop_seconds: 0.0 → 2.0" in compared
    assert "(unpaired)" not in compared.split("Δ = B − A")[0]  # paired on the same test songs
