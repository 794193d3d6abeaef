"""Built-in splits: `window` (the paper's leaky setup), `song` and `artist` (grouped), and
`fma-official` (a dataset's own training/validation/test sets).

The first three are seeded with scikit-learn's splitters: a hold-out split when `folds` is
None, shuffled (grouped) k-fold cross-validation otherwise.
"""

from __future__ import annotations

import numpy as np

from bench import hookimpl
from bench.specs import Fold, SplitSpec, WindowTable


def _folds(splitter, n: int, groups: np.ndarray | None) -> list[Fold]:
    return [Fold(train, test) for train, test in splitter.split(np.zeros(n), groups=groups)]


def window_split(windows: WindowTable, seed: int, folds: int | None, test_fraction: float) -> list[Fold]:
    """Windows shuffled without regard to their song: the seed paper's setup, which leaks."""
    from sklearn.model_selection import KFold, ShuffleSplit  # here: its import is slow, and listing plugins needs none

    if folds:
        return _folds(KFold(folds, shuffle=True, random_state=seed), len(windows), None)
    return _folds(ShuffleSplit(1, test_size=test_fraction, random_state=seed), len(windows), None)


def grouped_split(groups: np.ndarray, seed: int, folds: int | None, test_fraction: float) -> list[Fold]:
    """No group (song or artist) on both sides."""
    from sklearn.model_selection import GroupKFold, GroupShuffleSplit

    n_groups = len(np.unique(groups))
    if folds:
        if folds > n_groups:
            raise ValueError(f"cannot make {folds} folds from {n_groups} groups")
        return _folds(GroupKFold(folds, shuffle=True, random_state=seed), len(groups), groups)
    if n_groups < 2:
        raise ValueError(f"a grouped split needs at least 2 groups. Received: {n_groups}")
    return _folds(GroupShuffleSplit(1, test_size=test_fraction, random_state=seed), len(groups), groups)


def song_split(windows: WindowTable, seed: int, folds: int | None, test_fraction: float) -> list[Fold]:
    return grouped_split(windows.track, seed, folds, test_fraction)


def artist_split(windows: WindowTable, seed: int, folds: int | None, test_fraction: float) -> list[Fold]:
    return grouped_split(windows.group, seed, folds, test_fraction)


OFFICIAL_SETS = ("training", "validation", "test")


def official_split(windows: WindowTable, seed: int, folds: int | None, test_fraction: float) -> list[Fold]:
    """The dataset's own training/validation/test sets (FMA's is by artist): the same for every
    seed, so seeds vary only the weights; validation is the official validation set."""
    if folds:
        raise ValueError(
            "the official split has no folds: it is one fixed training/validation/test split (drop --folds)"
        )
    found = set(windows.official_split.tolist())
    if found - set(OFFICIAL_SETS):
        unknown = ", ".join(repr(s) for s in sorted(found - set(OFFICIAL_SETS)))
        raise ValueError(f"the official split needs every track marked training, validation or test; found {unknown}")
    train, validation, test = (np.flatnonzero(windows.official_split == name) for name in OFFICIAL_SETS)
    for name, rows in zip(OFFICIAL_SETS, (train, validation, test)):
        if len(rows) == 0:
            raise ValueError(f"the official {name} set has no windows in this run")
    return [Fold(train, test, validation)]


@hookimpl
def bench_splits() -> list[SplitSpec]:
    return [
        SplitSpec(
            "window",
            "windows shuffled: one song's windows on both sides (leaks; the paper's setup)",
            window_split,
            leaky=True,
        ),
        SplitSpec("song", "grouped by song: no song on both sides", song_split),
        SplitSpec("artist", "grouped by artist: no artist on both sides", artist_split),
        SplitSpec(
            "fma-official",
            "the dataset's own artist-level training/validation/test split (FMA)",
            official_split,
            official=True,
            supports_folds=False,
        ),
    ]
