"""What every figure of `bench report` shares: the `Plot` it becomes, a matplotlib Agg figure
(no display, no pyplot state) rendered to PNG bytes, file-safe names, and the order of splits
and models on an axis (declared split order, baselines first)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from bench.files import file_name
from bench.results.records import RunInfo
from bench.results.stats import Cell
from bench.text import visible


@dataclass(frozen=True)
class Plot:
    """One rendered figure of a section."""

    section: str
    name: str  # file name without extension, unique in the report
    caption: str
    png: bytes


def text(value: str) -> str:
    """`value` for a figure's title, label, tick or legend: control characters as escapes, and
    every `$` literal, so a name from the data is drawn as written, never parsed as mathtext
    (an unbalanced `$\\frac$` would stop the whole report)."""
    return visible(value).replace("$", r"\$")


def figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(drawn)
    return drawn


def png(drawn) -> bytes:
    buffer = io.BytesIO()
    drawn.savefig(buffer, format="png")
    return buffer.getvalue()


def slug(*parts: str) -> str:
    return "-".join(file_name(p) for p in parts)


def splits(cells: list[Cell], info: RunInfo) -> list[str]:
    """The cells' splits in the run's declared order."""
    return sorted({c.split for c in cells}, key=lambda s: (info.split_order(s), s))


def models(cells: list[Cell]) -> list[tuple[str, str]]:
    """(model, feature) pairs, baselines first."""
    baselines = {(c.model, c.feature) for c in cells if c.baseline}
    return sorted({(c.model, c.feature) for c in cells}, key=lambda pair: (pair not in baselines, pair))


def finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else np.nan
