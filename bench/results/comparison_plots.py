"""The report's figures that compare cells with each other: a forest plot of each cell's paired
difference with each baseline (the leaderboard's Δ columns, drawn with their intervals), and a
leak-gap dumbbell (each model's primary score on every split it ran, joined, in the splits'
declared order, so the gap between a leaky split and a grouped one shows as a line's length)."""

from __future__ import annotations

import math

import numpy as np

from bench.results import figures as draw
from bench.results.figures import Plot
from bench.results.leaderboard import label
from bench.results.records import RunInfo
from bench.results.stats import Cell, Paired


def forest_rows(cells: list[Cell], info: RunInfo) -> list[Cell]:
    """The cells with a paired difference, one forest row each: by split (declared order), then model."""
    rows = [c for c in cells if c.paired]
    return sorted(rows, key=lambda c: (info.split_order(c.split), c.split, c.model, c.feature))


def _interval(paired: Paired) -> tuple[float, float] | None:
    """(below, above) the point, or None where no interval was computed (too few songs)."""
    if paired.too_few or not (math.isfinite(paired.low) and math.isfinite(paired.high)):
        return None
    return paired.difference - paired.low, paired.high - paired.difference


def forest_plot(cells: list[Cell], target: str, info: RunInfo) -> Plot | None:
    """One row per cell with a paired difference; per baseline a point at the difference and a bar
    over its 95% two-stage interval (a hollow point: too few songs for one); a line at zero."""
    rows = forest_rows(cells, info)
    if not rows:
        return None
    baselines = sorted({p.baseline for c in rows for p in c.paired})
    name = label(info.primary)
    drawn = draw.figure(8.0, 1.4 + 0.35 * len(rows) * max(1, len(baselines)) ** 0.5)
    ax = drawn.subplots()
    step = 0.6 / len(baselines)
    for k, baseline in enumerate(baselines):
        offset, legend = (k - (len(baselines) - 1) / 2) * step, draw.text(f"vs {baseline}")
        for y, cell in enumerate(rows):
            paired = next((p for p in cell.paired if p.baseline == baseline), None)
            if paired is None:
                continue
            spread = _interval(paired)
            ax.errorbar(
                [paired.difference],
                [y + offset],
                xerr=None if spread is None else np.array([[spread[0]], [spread[1]]]),
                fmt="o",
                color=f"C{k}",
                markerfacecolor=f"C{k}" if spread else "white",
                capsize=3,
                label=legend,
            )
            legend = "_"  # matplotlib leaves labels starting with "_" out of the legend: one entry per baseline
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [draw.text(f"{c.model} ({c.feature}) / {c.split}") for c in rows])
    ax.invert_yaxis()
    better = "right" if info.higher_is_better(info.primary) else "left"
    ax.set_xlabel(draw.text(f"Δ song {name}, model − baseline (better to the {better})"))
    ax.set_title(draw.text(f"{target}: paired differences with 95% intervals"))
    ax.legend(fontsize="small")
    return Plot(
        "differences",
        draw.slug(target, "differences"),
        f"{target}: each row's paired difference in song {name} with each baseline on the same songs and seeds; "
        "the bar is the two-stage bootstrap 95% interval (a hollow point has none: too few test songs). "
        "A bar clear of the zero line is a difference the seeds and songs support.",
        draw.png(drawn),
    )


def dumbbell_rows(cells: list[Cell], info: RunInfo) -> list[tuple[str, str, list[Cell]]]:
    """(model, feature, its cells in split order) for each model scored on two splits or more."""
    key = f"song.{info.primary}"
    scored = [c for c in cells if math.isfinite(c.mean.get(key, math.nan))]
    order = draw.splits(scored, info)
    rows = []
    for model, feature in draw.models(scored):
        own = sorted(
            (c for c in scored if (c.model, c.feature) == (model, feature)), key=lambda c: order.index(c.split)
        )
        if len(own) >= 2:
            rows.append((model, feature, own))
    return rows


def dumbbell_plot(cells: list[Cell], target: str, info: RunInfo) -> Plot | None:
    """Per model, a point per split at its mean song-level primary score, the points joined;
    None when no model ran on two splits."""
    rows = dumbbell_rows(cells, info)
    if not rows:
        return None
    key, name = f"song.{info.primary}", label(info.primary)
    order = draw.splits([c for _, _, own in rows for c in own], info)
    leaky = set(info.leaky_splits()) | {c.split for _, _, own in rows for c in own if c.leaky}
    drawn = draw.figure(8.0, 1.4 + 0.4 * len(rows))
    ax = drawn.subplots()
    for y, (_, _, own) in enumerate(rows):
        ax.plot([c.mean[key] for c in own], [y] * len(own), color="#999", linewidth=2, zorder=1)
    for k, split in enumerate(order):
        points = [(y, c.mean[key]) for y, (_, _, own) in enumerate(rows) for c in own if c.split == split]
        ax.scatter(
            [x for _, x in points],
            [y for y, _ in points],
            s=50,
            color=f"C{k}",
            marker="s" if split in leaky else "o",
            zorder=2,
            label=draw.text(f"{split} (leaky)" if split in leaky else split),
        )
    ax.set_yticks(range(len(rows)), [draw.text(f"{m} ({f})") for m, f, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel(draw.text(f"song {name} (mean over seeds/folds)"))
    ax.set_title(draw.text(f"{target}: song-level {name} per split"))
    ax.legend(title="split", fontsize="small")
    return Plot(
        "leak",
        draw.slug(target, "leak"),
        f"{target}: each model's mean song-level {name} on every split it ran (squares: leaky splits, which put "
        "one song's windows in train and test), joined by a line: a long line is a large leak gap. "
        "Models that ran on one split only are left out.",
        draw.png(drawn),
    )
