"""The `fma` source on an FMA-format fixture (exact multi-row headers and directory layout),
and the `fma-official` split."""

from __future__ import annotations

import music_fixtures as music
import numpy as np
import pytest
from rich.console import Console

from bench.cli.app import main
from bench.results.store import find_run
from bench.specs import WindowTable
from bench_plugins.sources import fma
from bench_plugins.splits import official_split


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return music.fma_tree(tmp_path_factory.mktemp("fma"))


def load(tree, **options):
    metadata, audio = tree
    return fma.load({"fma_metadata": str(metadata), "fma_audio": str(audio), **options})


def test_small_subset_tracks_groups_paths_and_official_split(tree):
    catalog = load(tree, subset="small", targets=["danceability"])
    assert [t.id for t in catalog.tracks] == [str(i) for i in music.FMA_SMALL]
    by_id = {t.id: t for t in catalog.tracks}
    assert by_id["140000"].path == tree[1] / "140" / "140000.mp3" and by_id["2"].path == tree[1] / "000" / "000002.mp3"
    assert by_id["134"].group == "8" and by_id["134"].official_split == "validation"
    assert by_id["2"].labels["danceability"] == music._features(2)[1]
    assert "tempo" not in by_id["58"].labels  # its tempo 300 is out of range, but tempo is not predicted
    assert set(catalog.targets) == set(music.FEATURES) and catalog.targets["tempo"].high == 250.0
    assert [(p.where, p.what, p.action) for p in catalog.problems] == [
        ("echonest.csv line 18", "danceability is missing", "dropped"),
        ("echonest.csv line 19", "duplicate id '57' (first seen at echonest.csv line 10, which counts)", "dropped"),
    ]
    assert catalog.description == "fma: small subset, 11 tracks with Echo Nest features"


def test_subsets_nest_and_every_target_is_checked_without_one(tree):
    catalog = load(tree, subset="medium")
    assert "20" in [t.id for t in catalog.tracks] and "58" not in [t.id for t in catalog.tracks]
    assert ("echonest.csv line 11", "tempo 300 is outside 0..250") in [(p.where, p.what) for p in catalog.problems]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"subset": "tiny"}, "--subset must be one of small, medium, large. Received: 'tiny'"),
        ({"targets": ["loudness"]}, "echonest.csv: no label column 'loudness'"),
        ({"fma_metadata": None}, "this source needs --fma-metadata"),
    ],
)
def test_bad_options_are_one_clear_error(tree, options, message):
    with pytest.raises(ValueError, match=message):
        load(tree, **options)


def test_an_audio_folder_without_the_subset_says_so(tree, tmp_path):
    with pytest.raises(ValueError, match=r"none of the 11 tracks is there .*000002.mp3\); is it the fma_small folder"):
        load(tree, fma_audio=str(tmp_path), targets=["danceability"])


def windows(splits: list[str]) -> WindowTable:
    n = len(splits)
    return WindowTable(np.arange(n).astype(str), np.arange(n).astype(str), np.array(splits))


def test_official_split_uses_the_datasets_sets_for_every_seed():
    table = windows(["training", "test", "validation", "training", "test"])
    for seed in range(3):
        (fold,) = official_split(table, seed, None, 0.25)
        assert fold.train.tolist() == [0, 3] and fold.validation.tolist() == [2] and fold.test.tolist() == [1, 4]
    with pytest.raises(ValueError, match="the official split has no folds"):
        official_split(table, 0, 5, 0.25)
    with pytest.raises(ValueError, match="found ''"):
        official_split(windows(["training", "", "test"]), 0, None, 0.25)
    with pytest.raises(ValueError, match="the official validation set has no windows"):
        official_split(windows(["training", "test"]), 0, None, 0.25)


@pytest.mark.integration
def test_run_with_the_official_split(tree, isolated, monkeypatch, capsys):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    metadata, audio = tree
    args = [
        "run",
        "--source",
        "fma",
        "--fma-metadata",
        str(metadata),
        "--fma-audio",
        str(audio),
        "--subset",
        "small",
        "--model",
        "mean",
        "--model",
        "dsp-ridge",
        "--split",
        "fma-official",
        "--seeds",
        "1",
        "--jobs",
        "2",
    ]
    assert main(args) == 3  # completed; the fixture's two bad echonest rows were dropped
    out = capsys.readouterr().out
    records = [r.to_dict() for r in find_run(isolated / "results", None).trials()]
    assert {r["model"] for r in records} == {"mean", "dsp-ridge"} and all(r["status"] == "ok" for r in records)
    assert all(
        r["split"] == "fma-official" and r["n_test_windows"] == 3 and r["n_validation_windows"] == 2 for r in records
    )
    assert "fma: small subset, 11 tracks with Echo Nest features" in out and "fma-official" in out
    assert "echonest.csv line 18: danceability is missing" in out
