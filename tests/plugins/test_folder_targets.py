"""A label table without danceability: `bench prepare` builds its features, and a target
without a documented range is scaled by its training songs' range alone (test songs never
set it)."""

from __future__ import annotations

import json

import pytest
from music_fixtures import write_clip, write_csv
from rich.console import Console

from bench.cli.app import main
from bench.results.store import find_run

MOODS = [1.0, 2.5, 3.0, 4.25, 5.0, 6.5, 7.0, 8.75, 9.0, 100.0]  # distinct, one far out


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


@pytest.fixture
def moods(tmp_path):
    audio = tmp_path / "audio"
    rows = [["file", "mood"]]
    for i, mood in enumerate(MOODS):
        write_clip(audio / f"clip{i}.wav", seed=i)
        rows.append([f"clip{i}.wav", mood])
    return audio, write_csv(tmp_path / "moods.csv", rows)


def folder(moods) -> list[str]:
    return ["--source", "folder", "--audio-dir", str(moods[0]), "--labels", str(moods[1])]


def test_prepare_needs_no_danceability_column(moods, isolated, capsys):
    assert main(["prepare", *folder(moods), "--feature", "dsp", "--jobs", "1"]) == 0
    assert f"Prepared {len(MOODS)} tracks" in capsys.readouterr().out


def test_an_observed_range_comes_from_the_training_songs_alone(moods, isolated):
    args = ["run", *folder(moods), "--target", "mood", "--model", "mean", "--split", "song", "--seeds", "3"]
    assert main([*args, "--jobs", "1"]) == 0
    store = find_run(isolated / "results", None)
    mood = {f"clip{i}": m for i, m in enumerate(MOODS)}
    far_out_tested = 0
    for path in store.trials_dir.glob("*.json"):
        record = json.loads(path.read_text())
        tested = {mood[track.split("/")[-1].removesuffix(".wav")] for track in record["songs"]["track"]}
        assert record["label_range"][0] in set(MOODS) - tested
        assert record["label_range"][1] in set(MOODS) - tested
        if 100.0 in tested:  # the far-out song is a test song: it does not stretch the range
            assert record["label_range"][1] < 100.0
            far_out_tested += 1
    assert far_out_tested  # some seed's test songs include it (the case a whole-table range leaked)
