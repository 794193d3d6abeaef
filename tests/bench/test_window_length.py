"""`--window-seconds` and `--hop-seconds`: they override the profile, reach the windows, the
model input shapes, run.json and every leaderboard title, and bad values fail clearly."""

from __future__ import annotations

import json

import pytest
import soundfile
from rich.console import Console

from bench.cli.app import main
from bench.profiles import QUICK, window_overrides
from bench.results.store import find_run
from bench_plugins.sources import synthetic

TINY = ["--songs", "8", "--seconds", "12", "--split", "song", "--seeds", "1", "--epochs", "1", "--executor", "inline"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def test_a_window_given_alone_keeps_windows_back_to_back():
    assert window_overrides(2.5, None) == {"window_seconds": 2.5, "hop_seconds": 2.5}
    assert window_overrides(2.5, 1.0) == {"window_seconds": 2.5, "hop_seconds": 1.0}
    assert window_overrides(None, 1.0) == {"hop_seconds": 1.0}
    assert window_overrides(None, None) == {}


@pytest.mark.parametrize(("field", "flag"), [("window_seconds", "--window-seconds"), ("hop_seconds", "--hop-seconds")])
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_a_profile_refuses_a_window_or_hop_of_zero_or_less(field, flag, value):
    with pytest.raises(ValueError, match=f"{flag} must be more than 0 \\(profile quick\\). Received: {value:g}"):
        QUICK.replace(**{field: value})


def test_a_bad_hop_stops_the_run_before_it_starts(isolated, capsys):
    assert main(["run", "--model", "mean", "--hop-seconds", "0", *TINY]) == 1
    assert "--hop-seconds must be more than 0" in capsys.readouterr().out
    assert not (isolated / "results").exists()


def test_synthetic_songs_shorter_than_the_window_are_lengthened(tmp_path):
    profile = QUICK.replace(window_seconds=6.0, hop_seconds=6.0)
    catalog = synthetic.load({"profile": profile, "cache_dir": tmp_path, "songs": 2, "seconds": 4})
    assert [round(soundfile.info(t.path).duration, 3) for t in catalog.tracks] == [6.0, 6.0]
    [problem] = catalog.problems
    assert problem.action == "lengthened" and "songs of 4 s are shorter than the 6 s window" in problem.what
    assert catalog.description.startswith("synthetic: 2 songs x 6 s")


@pytest.mark.integration
def test_a_shorter_window_reaches_windows_shapes_records_and_titles(isolated, capsys):
    assert main(["run", "--model", "mean", "--model", "2dspec", "--window-seconds", "2.5", *TINY]) == 0
    out = capsys.readouterr().out
    store = find_run(isolated / "results", None)
    info = store.info()
    assert (info["profile"]["window_seconds"], info["profile"]["hop_seconds"]) == (2.5, 2.5)
    dataset = json.loads((store.dir / "dataset.json").read_text())
    assert dataset["window_start"][:5] == [0.0, 2.5, 5.0, 7.5, 0.0]  # four 2.5 s windows per 12 s song
    assert dataset["shapes"]["mel"] == [24, 1 + int(2.5 * QUICK.sample_rate) // QUICK.mel_hop, 2]
    assert [r.status for r in store.trials()] == ["ok", "ok"]
    titled = "profile quick (window 2.5 s, hop 2.5 s)"
    assert " ".join(out.split()).count(titled) == 2  # the score and the cost boards (titles wrap)

    assert main(["leaderboard", store.id, "--format", "markdown"]) == 0
    titles = [line for line in capsys.readouterr().out.splitlines() if line.startswith("### ")]
    assert len(titles) == 2 and all(titled in title for title in titles)


@pytest.mark.integration
def test_a_window_too_short_for_a_model_fails_its_trial_saying_why(isolated, capsys):
    args = ["run", "--model", "3dspec", "--window-seconds", "1", "--hop-seconds", "4", *TINY]
    assert main(args) == 3  # completed, with a failed trial
    out = capsys.readouterr().out
    store = find_run(isolated / "results", None)
    assert json.loads((store.dir / "dataset.json").read_text())["window_start"][:4] == [0.0, 4.0, 8.0, 0.0]
    [record] = store.trials()
    assert record.status == "failed"
    assert "spec_slices=38 time slices and needs at least one frame in each" in str(record.error)
    assert "failed:" in out
