"""Split guarantees: grouped splits never put a song (or artist) on both sides, for every
seed and fold; the window split does, which is why it leaks."""

from __future__ import annotations

import numpy as np
import pytest

from bench.specs import WindowTable
from bench_plugins.splits import artist_split, song_split, window_split


@pytest.fixture
def windows():
    track = np.repeat([f"s{i}" for i in range(20)], 5)
    group = np.repeat([f"a{i // 4}" for i in range(20)], 5)
    return WindowTable(track, group, np.full(100, ""))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("folds", [None, 2, 5])
def test_song_split_keeps_songs_whole(windows, seed, folds):
    for fold in song_split(windows, seed, folds, 0.25):
        assert not set(windows.track[fold.train]) & set(windows.track[fold.test])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("folds", [None, 2, 5])
def test_artist_split_keeps_artists_whole(windows, seed, folds):
    for fold in artist_split(windows, seed, folds, 0.25):
        assert not set(windows.group[fold.train]) & set(windows.group[fold.test])


def test_window_split_puts_one_song_on_both_sides(windows):
    fold = window_split(windows, 0, None, 0.25)[0]
    assert set(windows.track[fold.train]) & set(windows.track[fold.test])


def test_seeds_change_the_split_and_repeat_exactly(windows):
    first, again, other = (song_split(windows, s, None, 0.25)[0].test for s in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert set(first) != set(other)


def test_too_many_folds_is_a_clear_error(windows):
    with pytest.raises(ValueError, match="cannot make 9 folds from 5 groups"):
        artist_split(windows, 0, 9, 0.25)
