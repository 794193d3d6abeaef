"""`bench predict`: a saved model rates a song exactly as its run did."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.cli.predict import rate
from bench.profiles import QUICK
from bench.results.records import TrialRecord
from bench.results.store import find_run


@pytest.mark.integration
@pytest.mark.parametrize("model", ["2dspec", "dsp-ridge"])
def test_saved_model_gives_the_song_value_of_its_record(isolated, monkeypatch, capsys, model):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    args = [
        "run",
        "--model",
        model,
        "--split",
        "song",
        "--seeds",
        "1",
        "--songs",
        "8",
        "--seconds",
        "12",
        "--epochs",
        "2",
        "--save-models",
    ]
    assert main(args) == 0
    store = find_run(isolated / "results", None)
    record = store.trials()[0]
    assert (store.dir / record.extra["model_path"]).exists()
    tracks = {t["id"]: t["path"] for t in json.loads((store.dir / "dataset.json").read_text())["tracks"]}
    song = record.songs.track[0]
    [rating] = rate(store, record.id, [tracks[song]])
    assert rating.song == pytest.approx(record.songs.pred[0], abs=1e-5)
    assert len(rating.windows) == 12 // QUICK.window_seconds  # a 12 s song

    capsys.readouterr()
    assert main(["predict", store.id, record.id, tracks[song]]) == 0
    assert f"{rating.song:.4f}" in capsys.readouterr().out


def test_a_trial_without_a_saved_model_says_how_to_get_one(isolated, tmp_path):
    from bench.results.store import RunStore, write_json

    store = RunStore(tmp_path / "results" / "run1")
    write_json(store.dir / "run.json", {"config": {}, "profile": {}, "targets": {}})
    store.write_record(TrialRecord("t1", "ok", "danceability", "mean", "dsp", "song", 0))
    with pytest.raises(FileNotFoundError, match="--save-models"):
        rate(store, "t1", [])
