"""The report's histograms of what was predicted: per target, the labels of the test songs (each
song once) and each model's song-level predictions (one per test song and trial), on shared
bins, so a model that predicts a narrow band of the labels' range shows it at a glance."""

from __future__ import annotations

import math

import numpy as np

from bench.results import figures as draw
from bench.results.figures import Plot
from bench.results.stats import Cell, pooled_songs

MAX_BINS = 20


def song_labels(cells: list[Cell]) -> np.ndarray:
    """The true value of every distinct test song of the cells' trials, each song once."""
    by_song: dict[str, float] = {}
    for cell in cells:
        for record in cell.records:
            if record.songs is not None:
                by_song.update(zip(record.songs.track, record.songs.true))
    return np.array([by_song[t] for t in sorted(by_song)], dtype=float)


def predictions(cells: list[Cell]) -> dict[tuple[str, str], np.ndarray]:
    """(model, feature) -> its song-level predictions over every trial and split, baselines first."""
    found = {}
    for model, feature in draw.models(cells):
        records = [r for c in cells if (c.model, c.feature) == (model, feature) for r in c.records if r.songs]
        if records:
            found[(model, feature)] = pooled_songs(records)[1]
    return found


def bin_edges(labels: np.ndarray, predicted: list[np.ndarray]) -> np.ndarray:
    """Shared bins over the labels' and every prediction's range: about √(songs), at most MAX_BINS."""
    values = np.concatenate([labels, *predicted])
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    if high == low:
        low, high = low - 0.5, high + 0.5
    count = min(MAX_BINS, max(5, math.ceil(math.sqrt(len(labels)))))
    return np.linspace(low, high, count + 1)


def distribution_plot(cells: list[Cell], target: str) -> Plot | None:
    """A panel of the test songs' labels, then a panel per model of its predictions, on shared bins;
    None when no trial recorded song predictions."""
    labels, predicted = song_labels(cells), predictions(cells)
    if not len(labels):
        return None
    edges = bin_edges(labels, list(predicted.values()))
    panels = [("labels of the test songs", labels, "C7"), *[(f"{m} ({f})", p, "C0") for (m, f), p in predicted.items()]]
    columns = min(4, len(panels))
    rows = math.ceil(len(panels) / columns)
    drawn = draw.figure(3.0 * columns, 2.4 * rows)
    axes = np.atleast_1d(drawn.subplots(rows, columns, sharex=True, squeeze=False)).ravel()
    for ax, (title, values, colour) in zip(axes, panels):
        ax.hist(values[np.isfinite(values)], bins=edges, color=colour)
        ax.set_title(draw.text(title), fontsize="small")
        ax.set_xlabel(draw.text(target), fontsize="small")
    axes[0].set_ylabel("songs")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return Plot(
        "distributions",
        draw.slug(target, "distributions"),
        f"{target}: the labels of the test songs (grey, each song once) and each model's song-level "
        "predictions (one per test song and trial, every split), on the same bins.",
        draw.png(drawn),
    )
