"""The `folder` source on a fixture holding every bad case: each one gives its message and
every other track stays in the run."""

from __future__ import annotations

import json

import music_fixtures as music
import pytest
from rich.console import Console

from bench.cli.app import main
from bench.features.audio import AudioError, load_stereo
from bench.features.labels import LabelError
from bench.results.store import find_run
from bench_plugins.sources import folder


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return music.bad_folder(tmp_path_factory.mktemp("bad"))


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def test_label_problems_are_reported_and_every_other_row_kept(bad):
    audio, labels = bad
    catalog = folder.load({"audio_dir": audio, "labels": labels, "targets": ["danceability"]})
    assert [t.id for t in catalog.tracks] == [*music.GOOD, "i", "j", "k", "l"]  # decoding happens later
    problems = {p.where: (p.what, p.action) for p in catalog.problems}
    for where, message in music.EXPECTED.items():
        if where.startswith("labels.csv"):
            assert message in problems[where][0]
    assert problems["labels.csv"][1] == "ignored" and problems["labels.csv line 14"][1] == "dropped"
    mono = next(t for t in catalog.tracks if t.id == "e")
    assert mono.group == "art3" and mono.labels == {
        "danceability": 0.5,
        "tempo": 104.0,
    }  # bad energy: left out, row kept
    assert set(catalog.targets) == {"danceability", "energy", "tempo"} and catalog.targets["tempo"].high == 250.0
    assert catalog.description == f"folder: {audio} (12 clips listed in labels.csv)"


def test_without_a_target_every_label_is_checked(bad):
    audio, labels = bad
    catalog = folder.load({"audio_dir": audio, "labels": labels})
    assert "e" not in [t.id for t in catalog.tracks]
    assert ("labels.csv line 6", "energy is not a finite number ('n/a')") in [
        (p.where, p.what) for p in catalog.problems
    ]


def test_an_id_column_alone_finds_each_clip_by_its_name(tmp_path):
    audio = tmp_path / "clips"
    music.write_clip(audio / "rock" / "one.flac", 8000, seconds=1.0)
    music.write_clip(audio / "two.wav", 8000, seconds=1.0)
    music.write_clip(audio / "two.flac", 8000, seconds=1.0)
    labels = music.write_csv(tmp_path / "labels.csv", [["id", "mood"], ["rock/one", 3], ["two", 5], ["three", 4]])
    catalog = folder.load({"audio_dir": audio, "labels": labels, "targets": ["mood"]})
    assert [(t.id, t.group, t.path) for t in catalog.tracks] == [("rock/one", "rock/one", audio / "rock" / "one.flac")]
    assert catalog.targets["mood"].low == 3.0 and catalog.targets["mood"].high == 5.0  # observed range
    assert [p.what for p in catalog.problems] == [
        f"id 'two' needs exactly one file {audio}/two.*, found two.flac, two.wav",
        f"id 'three' needs exactly one file {audio}/three.*, found none",
    ]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"audio_dir": None}, "this source needs --audio-dir"),
        ({"audio_dir": "/nonexistent"}, "--audio-dir /nonexistent: no such folder"),
        ({"labels": "nope.csv"}, "--labels nope.csv: no such file"),
        ({"targets": ["loudness"]}, "labels.csv: no label column 'loudness'; it has: danceability, energy, tempo"),
    ],
)
def test_bad_options_are_one_clear_error(bad, options, message):
    audio, labels = bad
    with pytest.raises(ValueError, match=message):
        folder.load({"audio_dir": audio, "labels": labels, **options})


def test_a_table_without_file_or_id_stops_the_run(tmp_path):
    labels = music.write_csv(tmp_path / "labels.csv", [["name", "energy", "energy"], ["x", 1, 1]])
    with pytest.raises(LabelError, match="column 'energy' appears 2 times"):
        folder.load({"audio_dir": tmp_path, "labels": labels})
    labels = music.write_csv(tmp_path / "labels.csv", [["name", "energy"], ["x", 1]])
    with pytest.raises(LabelError, match="needs a 'file' or an 'id' column; its columns are name, energy"):
        folder.load({"audio_dir": tmp_path, "labels": labels})


@pytest.mark.parametrize(
    "name", ["wav44.wav", "flac22.flac", "ogg16.ogg", "song.mp3", "mono.wav", "six.wav", "flac_named.wav"]
)
def test_every_format_rate_and_channel_count_decodes_to_stereo_at_the_profile_rate(bad, name):
    stereo, _ = load_stereo(bad[0] / name, 8000)
    assert stereo.shape[0] == 2 and abs(stereo.shape[1] - 7 * 8000) <= 8000 * 0.1  # MP3 adds codec padding


@pytest.mark.parametrize("name", ["empty.wav", "corrupt.flac", "text.mp3", "missing.wav"])
def test_bad_files_raise_their_message(bad, name):
    with pytest.raises(AudioError) as error:
        load_stereo(bad[0] / name, 8000)
    assert str(bad[0] / name) in str(error.value) and music.EXPECTED[name] in str(error.value)


@pytest.mark.integration
def test_run_on_the_bad_folder_keeps_every_good_track(bad, isolated, capsys):
    audio, labels = bad
    args = [
        "run",
        "--source",
        "folder",
        "--audio-dir",
        str(audio),
        "--labels",
        str(labels),
        "--model",
        "mean",
        "--model",
        "dsp-ridge",
        "--model",
        "2dspec",
        "--epochs",
        "1",
        "--split",
        "song",
        "--seeds",
        "1",
        "--jobs",
        "2",
    ]
    assert main(args) == 3  # completed, with the bad files skipped
    out = capsys.readouterr().out
    store = find_run(isolated / "results", None)
    info = store.info()
    assert info["source"]["tracks"] == len(music.GOOD) and info["config"]["source_options"]["audio_dir"] == str(audio)
    problems = [(p["where"], p["what"], p["action"]) for p in info["problems"]]
    for where, message in music.EXPECTED.items():  # `run` words every problem as `validate` does
        place = where if where.startswith("labels.csv") else str(audio / where)
        assert any(w == place and message in what for w, what, _ in problems), (where, message)
        assert message in out
    assert {a for w, _, a in problems if w.endswith(("empty.wav", "corrupt.flac", "text.mp3", "missing.wav"))} == {
        "skipped"
    }
    dataset = json.loads((store.dir / "dataset.json").read_text())
    assert sorted(t["id"] for t in dataset["tracks"]) == sorted(music.GOOD)
    assert {r.model: r.status for r in store.trials()} == {"mean": "ok", "dsp-ridge": "ok", "2dspec": "ok"}
    assert f"folder: {audio} (12 clips listed in labels.csv)" in out and "10 input problem(s)" in out
