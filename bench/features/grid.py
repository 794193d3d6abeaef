"""Evaluation windows and training-only windows of a dataset cut at a training hop.

With a training hop (`--train-hop-seconds`) the feature stage cuts a window every training hop.
Those on the hop's own grid (every `ratio`-th window of a track, from its start) are exactly the
windows a run without it has: the only ones a split sees and the only ones validated and tested.
Every other window follows the grid window it starts in (its parent) into training, and only
there, so extra windows add training data without moving a single test or validation window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowGrid:
    """Which dataset rows are evaluation windows, and each row's parent among them."""

    rows: np.ndarray  # dataset rows on the hop's grid, in dataset order
    parent: np.ndarray  # for every dataset row, the position in `rows` of the grid window it starts in

    @classmethod
    def of(cls, window_track: np.ndarray, ratio: int) -> WindowGrid:
        """The grid of windows cut `ratio` to a hop; `window_track` lists each track's windows together, in order."""
        n = len(window_track)
        if ratio == 1:
            every = np.arange(n)
            return cls(every, every)
        if np.any(np.diff(window_track) < 0):
            raise ValueError("a dataset's windows must be grouped by track, in order, to find the hop's grid")
        first = np.searchsorted(window_track, window_track, side="left")
        index = np.arange(n) - first  # each window's place in its track
        rows = np.flatnonzero(index % ratio == 0)
        position = np.full(n, -1)
        position[rows] = np.arange(len(rows))
        return cls(rows, position[first + (index // ratio) * ratio])

    @property
    def extra(self) -> bool:
        """Whether any window is off the grid (a training hop is in use)."""
        return len(self.rows) < len(self.parent)

    def training(self, positions: np.ndarray) -> np.ndarray:
        """Dataset rows to train on for the grid windows at `positions`: them and every window they parent."""
        if not self.extra:
            return self.rows[positions]
        return np.flatnonzero(np.isin(self.parent, positions))
