"""The report's label and prediction histograms, drawn from hand-made records (the figure's
bars are counted)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.results import figures
from bench.results.distribution_plots import distribution_plot, song_labels
from bench.results.records import SongPredictions, TrialRecord
from bench.results.stats import Cell


def record(model: str, seed: int, tracks: list[str], true: list[float], pred: list[float]) -> TrialRecord:
    return TrialRecord(
        f"danceability--{model}--mel--song--seed{seed}",
        "ok",
        "danceability",
        model,
        "mel",
        "song",
        seed,
        songs=SongPredictions(tracks, true, pred),
    )


@pytest.fixture
def drawn(monkeypatch):
    kept = []
    png = figures.png
    monkeypatch.setattr(figures, "png", lambda figure: kept.append(figure) or png(figure))
    return kept


def test_the_label_panel_counts_each_test_song_once_and_model_panels_every_prediction(drawn):
    # Two seeds test overlapping songs: s1 and s2 are in both, so 4 distinct songs.
    seed0 = (["s0", "s1", "s2"], [0.1, 0.5, 0.9])
    seed1 = (["s1", "s2", "s3"], [0.5, 0.9, 0.3])
    cells = [
        Cell(
            ("danceability", "cnn", "mel", "song"),
            [record("cnn", 0, *seed0, [0.2, 0.4, 0.8]), record("cnn", 1, *seed1, [0.5, 0.5, 0.5])],
            [],
        ),
        Cell(("danceability", "mean", "mel", "song"), [record("mean", 0, *seed0, [0.5] * 3)], [], baseline=True),
    ]
    assert sorted(song_labels(cells)) == [0.1, 0.3, 0.5, 0.9]
    plot = distribution_plot(cells, "danceability")
    assert plot and plot.section == "distributions" and plot.png.startswith(b"\x89PNG")
    axes = [ax for ax in drawn[0].axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["labels of the test songs", "mean (mel)", "cnn (mel)"]  # baselines first
    heights = [[bar.get_height() for bar in ax.patches] for ax in axes]
    assert [sum(h) for h in heights] == [4, 3, 6]
    assert len({len(h) for h in heights}) == 1  # shared bins
    assert max(heights[1]) == 3  # the mean baseline's three predictions share one bin
    edges = [bar.get_x() for bar in axes[0].patches]
    assert np.isclose(edges[0], 0.1)


def test_no_histograms_without_song_predictions():
    failed = TrialRecord("x", "failed", "danceability", "cnn", "mel", "song", 0)
    assert distribution_plot([Cell(("danceability", "cnn", "mel", "song"), [], [failed])], "danceability") is None
