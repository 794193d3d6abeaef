"""--split-seed: every seed of a run trains and tests on one split, so a cell's spread is its
training's own and the seeds' test songs are the same."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.cli.app import main
from bench.registry import load_registry
from bench.results.store import find_run
from bench.specs import WindowTable
from bench.trial.execute import TrialSpec, choose_fold


def _spec(seed: int, split_seed: int | None) -> TrialSpec:
    return TrialSpec(
        "run", "synthetic", "dsp", "mean", "song", seed, "danceability", {"name": "quick"}, split_seed=split_seed
    )


def _test_tracks(seed: int, split_seed: int | None) -> set[int]:
    tracks = np.repeat(np.arange(40), 2)
    windows = WindowTable(tracks, tracks // 4, np.array([""] * len(tracks)))
    split = load_registry().get("split", "song")
    return set(tracks[choose_fold(split, windows, _spec(seed, split_seed), 0.25).test].tolist())


def test_without_it_each_seed_draws_its_own_split():
    assert _test_tracks(0, None) != _test_tracks(1, None)


def test_with_it_every_seed_tests_on_the_same_songs():
    assert _test_tracks(0, 7) == _test_tracks(1, 7) == _test_tracks(5, 7) == _test_tracks(7, None)


def test_a_record_says_its_split_seed_only_when_one_was_given():
    from bench.trial.execute import base_record

    assert "split_seed" not in base_record(_spec(0, None)).to_dict()
    assert base_record(_spec(0, 3)).to_dict()["split_seed"] == 3


@pytest.mark.integration
def test_a_run_on_one_split_says_so_and_its_seeds_share_test_songs(isolated, capsys):
    tiny = ["--songs", "8", "--seconds", "12", "--jobs", "1"]
    assert main(["run", *tiny, "--model", "mean", "--split", "song", "--seeds", "2", "--split-seed", "4"]) == 0
    store = find_run(isolated / "results", None)
    songs = [
        sorted(json.loads(path.read_text())["songs"]["track"]) for path in sorted((store.dir / "trials").glob("*.json"))
    ]
    assert len(songs) == 2 and songs[0] == songs[1]
    assert "2 seeds on one split (split seed 4)" in " ".join(capsys.readouterr().out.split())
