"""The report's forest plot and leak-gap dumbbell, drawn from hand-made cells (the figure itself
is inspected: its rows, points and intervals)."""

from __future__ import annotations

import math

import pytest

from bench.results import figures
from bench.results.comparison_plots import dumbbell_plot, forest_plot
from bench.results.records import RunInfo
from bench.results.stats import Cell, Paired

# Declared out of alphabetical order: the figures must follow it, not the names.
SPLITS = [
    {"name": "window", "leaky": True, "order": 0},
    {"name": "song", "leaky": False, "order": 1},
    {"name": "artist", "leaky": False, "order": 2},
]


def info() -> RunInfo:
    return RunInfo("r", "complete", {"seeds": 2, "source": "s"}, {"name": "quick"}, splits=SPLITS)


def cell(model: str, split: str, r2: float, paired: tuple[Paired, ...] = ()) -> Cell:
    return Cell(("danceability", model, "mel", split), [], [], mean={"song.r2": r2}, paired=list(paired))


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the plots draw, kept (their PNGs are still made)."""
    kept = []
    png = figures.png
    monkeypatch.setattr(figures, "png", lambda figure: kept.append(figure) or png(figure))
    return kept


def test_the_forest_has_a_row_per_paired_cell_with_its_interval_and_a_zero_line(drawn):
    cells = [
        cell("mean", "song", 0.0),  # the baseline: no paired difference, no row
        cell("cnn", "song", 0.4, (Paired("mean", 0.4, 0.3, 0.5, 40, 20), Paired("ridge", 0.1, -0.05, 0.2, 40, 20))),
        cell("cnn", "window", 0.8, (Paired("mean", 0.8, 0.7, 0.9, 40, 20),)),
        cell("tiny", "artist", 0.2, (Paired("mean", 0.2, math.nan, math.nan, 10, 4),)),  # too few songs
    ]
    plot = forest_plot(cells, "danceability", info())
    assert plot and plot.png.startswith(b"\x89PNG") and plot.section == "differences"
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "cnn (mel) / window",
        "cnn (mel) / song",
        "tiny (mel) / artist",
    ]
    points = [(line.get_xdata()[0], line.get_markerfacecolor()) for line in ax.lines if line.get_marker() == "o"]
    assert sorted(x for x, _ in points) == [0.1, 0.2, 0.4, 0.8]  # one point per (cell, baseline)
    bars = [c for c in ax.containers if c.has_xerr]
    assert len(bars) == 3  # the too-few cell has no interval bar...
    assert next(face for x, face in points if x == 0.2) == "white"  # ...and a hollow point
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.lines)  # the zero line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["vs mean", "vs ridge"]


def test_no_forest_without_a_paired_difference():
    assert forest_plot([cell("mean", "song", 0.0)], "danceability", info()) is None


def test_the_dumbbell_joins_each_model_across_splits_in_declared_order_and_skips_one_split_models(drawn):
    cells = [
        cell("cnn", "artist", 0.2),
        cell("cnn", "window", 0.9),
        cell("cnn", "song", 0.3),
        cell("ridge", "song", 0.1),  # one split: no dumbbell
        cell("mean", "song", math.nan),
        cell("mean", "window", 0.0),  # its song score is not finite: one split left, skipped too
    ]
    plot = dumbbell_plot(cells, "danceability", info())
    assert plot and plot.section == "leak"
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cnn (mel)"]
    joined = list(ax.lines)
    assert len(joined) == 1 and list(joined[0].get_xdata()) == [0.9, 0.3, 0.2]  # window, song, artist
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["window (leaky)", "song", "artist"]


def test_no_dumbbell_when_every_model_ran_on_one_split():
    assert dumbbell_plot([cell("cnn", "song", 0.3), cell("ridge", "artist", 0.1)], "danceability", info()) is None
