"""The window grid of a training hop: which windows are scored, which are only trained on."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.grid import WindowGrid
from bench.profiles import QUICK, window_overrides


def test_the_grid_is_every_ratio_th_window_of_each_track_and_parents_the_rest():
    grid = WindowGrid.of(np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2]), ratio=3)
    assert grid.rows.tolist() == [0, 3, 6, 9]
    assert grid.parent.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert grid.extra
    assert grid.training(np.array([0, 2])).tolist() == [0, 1, 2, 6, 7, 8]  # grid windows 0 and 2, and their children


def test_without_a_training_hop_training_keeps_the_split_s_own_order():
    grid = WindowGrid.of(np.array([0, 0, 1, 1]), ratio=1)
    assert not grid.extra
    assert grid.training(np.array([3, 0, 2])).tolist() == [3, 0, 2]


def test_a_grid_needs_each_track_s_windows_together():
    with pytest.raises(ValueError, match="grouped by track"):
        WindowGrid.of(np.array([0, 1, 0, 1]), ratio=2)


def test_a_training_hop_cuts_the_features_finer_and_keeps_the_hop():
    profile = QUICK.replace(train_hop_seconds=1.0)
    assert profile.grid_ratio == 5
    assert (profile.extraction_profile().hop_seconds, profile.extraction_profile().train_hop_seconds) == (1.0, 0.0)
    assert QUICK.extraction_profile() is QUICK and QUICK.grid_ratio == 1
    assert window_overrides(None, None, 1.0) == {"train_hop_seconds": 1.0}


@pytest.mark.parametrize("value", [5.0, 6.0, 1.5, 0.00001])
def test_a_training_hop_that_does_not_divide_the_hop_is_refused(value):
    with pytest.raises(ValueError, match="--train-hop-seconds must be shorter than the hop \\(5 s\\) and divide it"):
        QUICK.replace(train_hop_seconds=value)
