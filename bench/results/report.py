"""`bench report`: one run as a self-contained HTML page and a markdown page, from disk alone.

Sections: the run, the leaderboard (the same boards as `bench leaderboard`), the folds (songs
and artists in train / validation / test: `bench.results.folds`), models whose
predictions collapsed (song-level spread under a tenth of the labels'), the primary
metric per model and split with error bars, a forest plot of paired differences and a leak-gap
dumbbell (`bench.results.comparison_plots`), label and prediction histograms
(`bench.results.distribution_plots`), predicted-vs-true scatter plots at song level
per model, learning curves of every Keras trial, time and memory, and failed trials. The run
section names each used plugin's version and each model's plugin and code hash (`bench.results.merge`);
`metrics` adds score columns for the named metrics, a plugin's included.
Plots are drawn with matplotlib's Agg canvas (no display, no pyplot state); the HTML embeds
them as base64 PNGs so it opens offline, the markdown links PNG files in `report-figures/`.
"""

from __future__ import annotations

import base64
import math
import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import figures as draw
from bench.results.comparison_plots import dumbbell_plot, forest_plot
from bench.results.distribution_plots import distribution_plot
from bench.results.figures import Plot
from bench.results.folds import fold_board
from bench.results.leaderboard import (
    Board,
    boards,
    context,
    html_text,
    label,
    markdown_text,
    render_markdown,
    run_cells,
    run_summary,
)
from bench.results.leaderboard import render_html as board_html
from bench.results.merge import model_versions, plugin_versions
from bench.results.records import RunInfo, TrialRecord
from bench.results.stats import Cell, pooled_songs
from bench.results.store import RunStore

FIGURES = "report-figures"
WIDE_SECTIONS = (
    "primary",
    "differences",
    "leak",
    "distributions",
    "costs",
)  # one figure per target, across the page; the others share rows
WIDE = ' class="wide"'
SECTIONS = {
    "run": "Run",
    "leaderboard": "Leaderboard",
    "folds": "Songs per fold",
    "collapsed": "Collapsed predictions",
    "primary": "Song-level R² by model and split",
    "differences": "Paired differences with the baselines",
    "leak": "Leak gap: each model across splits",
    "distributions": "Labels and predictions",
    "scatter": "Predicted vs true, song level",
    "learning": "Learning curves",
    "costs": "Time and memory",
    "failures": "Failed trials",
}
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
div.table { overflow-x: auto; }
dd { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 1em 0 0.3em; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
tr.baseline { color: #777; font-style: italic; }
p.note { font-style: italic; font-size: 0.85em; color: #555; margin: 0.2em 0; }
section { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 360px), 1fr)); gap: 0 1em; }
section > :not(figure) { grid-column: 1 / -1; }
figure { margin: 1em 0; min-width: 0; }
figure.wide { grid-column: 1 / -1; }
figure img { width: 100%; height: auto; }
p.flag { color: #a40; }
figcaption { font-size: 0.85em; color: #555; }
"""


def primary_plot(cells: list[Cell], target: str, info: RunInfo) -> Plot:
    """Grouped bars: the mean song-level primary metric of each model under each split, ± one std over seeds."""
    models, splits, primary, name = draw.models(cells), draw.splits(cells, info), info.primary, label(info.primary)
    by = {(c.model, c.feature, c.split): c for c in cells}
    figure = draw.figure(max(6.0, 1.2 * len(models) * len(splits) ** 0.5 + 2), 4.0)
    ax = figure.subplots()
    width = 0.8 / len(splits)
    x = np.arange(len(models))
    for k, split in enumerate(splits):
        cell = [by.get((m, f, split)) for m, f in models]
        means = [draw.finite(c.mean.get(f"song.{primary}")) if c else np.nan for c in cell]
        stds = [draw.finite(c.std.get(f"song.{primary}")) if c else np.nan for c in cell]
        ax.bar(
            x + (k - (len(splits) - 1) / 2) * width,
            np.nan_to_num(means),
            width,
            yerr=np.nan_to_num(stds),
            capsize=3,
            label=draw.text(f"{split} (leaky)" if any(c and c.leaky for c in cell) else split),
            color=f"C{k}",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [draw.text(f"{m}\n({f})") for m, f in models])
    ax.set_ylabel(draw.text(f"song {name} (mean ± std over seeds)"))
    ax.set_title(draw.text(f"{target}: song-level {name} by model and split"))
    ax.legend(title="split")
    return Plot(
        "primary",
        draw.slug(target, "primary"),
        f"{target}: mean song-level {name} per model and split; "
        "error bars are ± one standard deviation over seeds/folds; 0 is predicting the mean.",
        draw.png(figure),
    )


def scatter_plot(cells: list[Cell], target: str, model: str, feature: str, info: RunInfo) -> Plot:
    """Predicted against true song values of every test song of every seed, one colour per split."""
    figure = draw.figure(4.8, 4.5)
    ax = figure.subplots()
    low, high = math.inf, -math.inf
    for k, split in enumerate(draw.splits(cells, info)):
        cell = next((c for c in cells if c.split == split), None)
        if not cell or not cell.records:
            continue
        true, pred, _ = pooled_songs(cell.records)
        low, high = min(low, true.min(), pred.min()), max(high, true.max(), pred.max())
        score = cell.mean.get(f"song.{info.primary}", np.nan)
        legend = draw.text(f"{split}: mean {label(info.primary)} {score:.3f}")
        ax.scatter(true, pred, s=18, alpha=0.7, color=f"C{k}", label=legend)
    if math.isfinite(low):
        margin = 0.05 * (high - low or 1.0)
        ax.plot([low, high], [low, high], color="black", linewidth=0.8, linestyle=":")
        ax.set_xlim(low - margin, high + margin)
        ax.set_ylim(low - margin, high + margin)
        ax.set_aspect("equal")
        ax.legend(fontsize="small")
    ax.set_xlabel(draw.text(f"true {target}"))
    ax.set_ylabel(draw.text(f"predicted {target}"))
    ax.set_title(draw.text(f"{model} ({feature})"))
    return Plot(
        "scatter",
        draw.slug(target, model, feature, "scatter"),
        f"{target}, {model} on {feature}: one point per "
        "test song and seed (mean of its windows' predictions); the dotted line is perfect.",
        draw.png(figure),
    )


def learning_plot(cells: list[Cell], target: str, model: str, feature: str, loss: str, info: RunInfo) -> Plot | None:
    """Training (solid) and validation (dashed) loss per epoch of every trial, a panel per split."""
    panels = [
        (c.split, [r for r in c.records if r.history]) for c in sorted(cells, key=lambda c: info.split_order(c.split))
    ]
    panels = [(split, records) for split, records in panels if records]
    if not panels:
        return None
    from matplotlib.ticker import MaxNLocator

    figure = draw.figure(4.2 * len(panels), 3.4)
    axes = np.atleast_1d(figure.subplots(1, len(panels), sharey=True))
    for ax, (split, records) in zip(axes, panels):
        for k, record in enumerate(sorted(records, key=lambda r: (r.seed, r.fold))):
            history = record.curves
            label = f"seed {record.seed}" + (f" fold {record.fold}" if record.folds else "")
            epochs = np.arange(1, len(history["loss"]) + 1)
            ax.plot(epochs, history["loss"], color=f"C{k}", label=label)
            if "val_loss" in history:
                ax.plot(epochs, history["val_loss"], color=f"C{k}", linestyle="--")
            if record.best_epoch:
                best = record.best_epoch
                ax.plot([best], [history.get("val_loss", history["loss"])[best - 1]], "o", color=f"C{k}")
            if (level := constant_loss(record, "validation")) is not None:
                ax.axhline(level, color=f"C{k}", linestyle=":", linewidth=1)
            if (level := constant_loss(record, "train")) is not None:
                ax.axhline(level, color=f"C{k}", linestyle="-.", linewidth=0.8, alpha=0.6)
        ax.set_title(draw.text(f"{model}, {split} split"))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="small")
    axes[0].set_ylabel(draw.text(f"loss ({loss})"))
    return Plot(
        "learning",
        draw.slug(target, model, feature, "learning"),
        f"{target}, {model}: training loss (solid) and "
        "validation loss (dashed) per epoch of each trial; the dot marks the epoch whose weights were kept; "
        "the dotted line is the validation loss of predicting the training mean, which a model that "
        "learnt anything useful goes below; the dash-dotted line is the same constant's training loss, "
        "which a training curve that only learnt the mean ends on.",
        draw.png(figure),
    )


def constant_loss(record: TrialRecord, windows: str) -> float | None:
    """The loss of predicting the training mean on the trial's `windows` ("train" or "validation"),
    as the trial recorded it (None when it did not, or the value is not a finite number)."""
    levels = record.extra.get("constant_loss")
    level = levels.get(windows) if isinstance(levels, dict) else None
    if isinstance(level, bool) or not isinstance(level, int | float) or not math.isfinite(level):
        return None
    return float(level)


def cost_plot(cells: list[Cell], target: str) -> Plot:
    """Horizontal bars per cell: mean training seconds (log scale) and peak memory."""
    cells = [c for c in cells if c.records]
    labels = [draw.text(f"{c.model} / {c.split}") for c in cells]
    figure = draw.figure(10.0, 1.2 + 0.32 * len(cells))
    left, right = figure.subplots(1, 2, sharey=True)
    y = np.arange(len(cells))
    left.barh(
        y, [draw.finite(c.cost.get("train_s")) for c in cells], color=["C7" if c.baseline else "C0" for c in cells]
    )
    left.set_xscale("log")
    left.set_xlabel("training seconds per trial (log scale)")
    left.set_yticks(y, labels)
    left.invert_yaxis()
    right.barh(
        y, [draw.finite(c.cost.get("peak_rss_mb")) for c in cells], color=["C7" if c.baseline else "C1" for c in cells]
    )
    right.set_xlabel("peak memory per trial process (MiB)")
    figure.suptitle(draw.text(f"{target}: cost per trial (mean over runs; grey = baseline)"))
    return Plot(
        "costs",
        draw.slug(target, "costs"),
        f"{target}: mean training time and peak resident memory of a trial's process.",
        draw.png(figure),
    )


def plots(store: RunStore, cells: list[Cell]) -> list[Plot]:
    """Every figure of the report, target by target."""
    info = store.run_info()
    loss = info.profile.get("loss", "loss")
    result = []
    for target in sorted({c.target for c in cells}):
        scored = [c for c in cells if c.target == target and c.records]
        if not scored:
            continue
        result.append(primary_plot(scored, target, info))
        found = (
            forest_plot(scored, target, info),
            dumbbell_plot(scored, target, info),
            distribution_plot(scored, target),
        )
        result += [p for p in found if p]
        per_model = [(m, f, [c for c in scored if (c.model, c.feature) == (m, f)]) for m, f in draw.models(scored)]
        result += [scatter_plot(group, target, m, f, info) for m, f, group in per_model]
        result += [p for m, f, group in per_model if (p := learning_plot(group, target, m, f, loss, info))]
        result.append(cost_plot(scored, target))
    return result


COLLAPSED_SPREAD = 0.1  # song-level prediction std under this fraction of the labels' std: collapsed


def collapsed(record: TrialRecord) -> bool:
    """Whether a trial's song-level test predictions are nearly constant: their spread under
    COLLAPSED_SPREAD of the labels' (a model that learned the mean, whatever its R²)."""
    if not record.ok or record.songs is None or len(record.songs.true) < 2:
        return False
    spread = float(np.std(record.songs.true))
    return spread > 0 and float(np.std(record.songs.pred)) < COLLAPSED_SPREAD * spread


def collapse_notes(cells: list[Cell]) -> list[str]:
    """One line per cell with a collapsed trial: which, on how many of its trials."""
    notes = []
    for cell in cells:
        hits = sum(collapsed(r) for r in cell.records)
        if hits:
            notes.append(
                f"{cell.target}: {cell.model} ({cell.feature}) on split {cell.split}: predictions collapsed in "
                f"{hits} of {len(cell.records)} trials (song-level spread under {COLLAPSED_SPREAD:g} of the labels')"
            )
    return notes


def _fold_boards(cells: list[Cell], info: RunInfo) -> list[Board]:
    return [b for target in sorted({c.target for c in cells}) if (b := fold_board(cells, target, info))]


def _failures(cells: list[Cell]) -> list[tuple[str, str]]:
    return [(r.id, r.error or "") for c in cells for r in c.failed]


def _run_facts(info: RunInfo, cells: list[Cell]) -> list[tuple[str, str]]:
    versions = ", ".join(f"{k} {v}" for k, v in info.versions.items())
    machine = info.machine
    return [
        ("summary", run_summary(info)),
        ("context", context(info, cells)),
        ("started", f"{info.started or '?'} (finished {info.finished or '?'})"),
        (
            "machine",
            f"{machine.get('cpu_model') or machine.get('processor', '?')}, {machine.get('cpus', '?')} CPUs, "
            f"{machine.get('memory_gib', '?')} GiB, Python {machine.get('python', '?')}; "
            f"vector instructions: {' '.join(machine.get('cpu_flags', [])) or '?'}",
        ),
        ("versions", versions or "?"),
        ("plugins", plugin_versions(info) or "?"),
        ("models", model_versions(info) or "? (recorded from runs made after this field existed)"),
        ("git commit", str(info.git_commit or "?")),
    ]


def _empty(section: str) -> str:
    return {
        "learning": "No trial recorded a training history (scikit-learn models have none).",
        "failures": "None: every trial finished.",
        "collapsed": f"None: every model's song-level predictions spread at least {COLLAPSED_SPREAD:g} of the labels'.",
    }.get(section, "Nothing to show.")


@dataclass(frozen=True)
class Parts:
    """One run's (or merged runs') report content: notes head its run section; `prefix` keeps
    section ids and figure files apart when several runs share a page."""

    store: Any
    cells: list[Cell]
    boards: list[Board]
    figures: list[Plot]
    notes: tuple[str, ...] = ()
    prefix: str = ""


def report_parts(store, metrics: tuple[str, ...] = (), notes: tuple[str, ...] = (), prefix: str = "") -> Parts:
    """The boards and figures of `store` (a RunStore or bench.results.merge.MergedRuns)."""
    cells = run_cells(store)
    figures = [replace(p, name=f"{prefix}{p.name}") for p in plots(store, cells)]
    return Parts(store, cells, boards(store, cells, metrics), figures, notes, prefix)


def html_sections(parts: Parts, heading: int = 2) -> str:
    """The report's sections as HTML, images inline."""
    info = parts.store.run_info()
    body = {
        "run": "".join(f'<p class="note">{html_text(n)}</p>' for n in parts.notes)
        + "<dl>"
        + "".join(f"<dt>{html_text(k)}</dt><dd>{html_text(v)}</dd>" for k, v in _run_facts(info, parts.cells))
        + "</dl>",
        "leaderboard": "".join(board_html(b) for b in parts.boards),
        "folds": "".join(board_html(b) for b in _fold_boards(parts.cells, info)),
        "collapsed": "".join(f'<p class="flag">⚑ {html_text(n)}</p>' for n in collapse_notes(parts.cells)),
        "failures": "".join(f"<p><code>{html_text(i)}</code>: {html_text(e)}</p>" for i, e in _failures(parts.cells)),
    }
    for plot in parts.figures:
        data = base64.b64encode(plot.png).decode("ascii")
        body[plot.section] = body.get(plot.section, "") + (
            f"<figure{WIDE if plot.section in WIDE_SECTIONS else ''}>"
            f'<img alt="{html_text(plot.name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html_text(plot.caption)}</figcaption></figure>"
        )
    return "".join(
        f'<section id="{html_text(parts.prefix + key)}"><h{heading}>{html_text(title)}</h{heading}>'
        f"{body.get(key) or f'<p>{html_text(_empty(key))}</p>'}</section>\n"
        for key, title in SECTIONS.items()
    )


def html_page(title: str, body: str) -> str:
    """One self-contained HTML document: `title` is text, `body` HTML."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html_text(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head>\n<body><h1>{html_text(title)}</h1>\n{body}</body></html>\n"
    )


def html_report(store: RunStore, cells: list[Cell], run_boards: list[Board], figures: list[Plot]) -> str:
    """The whole report as one HTML document with its images inline."""
    return html_page(f"bench report: run {store.id}", html_sections(Parts(store, cells, run_boards, figures)))


def markdown_sections(parts: Parts, heading: int = 2, figures_dir: str = FIGURES) -> list[str]:
    """The report's sections as markdown lines; images are links into `figures_dir`."""
    info = parts.store.run_info()
    body = {
        "run": "".join(f"_{markdown_text(n)}_\n\n" for n in parts.notes)
        + "\n".join(f"- **{markdown_text(k)}**: {markdown_text(str(v))}" for k, v in _run_facts(info, parts.cells)),
        "leaderboard": "\n".join(render_markdown(b) for b in parts.boards),
        "folds": "\n".join(render_markdown(b) for b in _fold_boards(parts.cells, info)),
        "collapsed": "\n".join(f"- ⚑ {markdown_text(n)}" for n in collapse_notes(parts.cells)),
        "failures": "\n".join(f"- {markdown_text(i)}: {markdown_text(str(e))}" for i, e in _failures(parts.cells)),
    }
    for plot in parts.figures:
        link = f"{figures_dir}/{urllib.parse.quote(plot.name)}.png"
        body[plot.section] = (
            body.get(plot.section, "") + f"![{plot.name}]({link})\n\n_{markdown_text(plot.caption)}_\n\n"
        )
    lines = []
    for key, title in SECTIONS.items():
        lines += [f"{'#' * heading} {title}", "", (body.get(key) or _empty(key)).rstrip(), ""]
    return lines


def markdown_report(store: RunStore, cells: list[Cell], run_boards: list[Board], figures: list[Plot]) -> str:
    """The report as markdown; images are links into `report-figures/`."""
    parts = Parts(store, cells, run_boards, figures)
    return "\n".join([f"# bench report: run {markdown_text(store.id)}", "", *markdown_sections(parts)])


def save_figures(folder: Path, figures: list[Plot]) -> None:
    folder.mkdir(exist_ok=True)
    for plot in figures:
        (folder / f"{plot.name}.png").write_bytes(plot.png)


def write_report(store: RunStore, metrics: tuple[str, ...] = ()) -> dict[str, Path]:
    """Write report.html, report.md and report-figures/ into the run folder; returns the paths
    (`metrics`: extra score columns, ValueError for one no trial recorded)."""
    parts = report_parts(store, metrics)
    folder = store.dir / FIGURES
    save_figures(folder, parts.figures)
    html_path, markdown_path = store.dir / "report.html", store.dir / "report.md"
    html_path.write_text(html_report(store, parts.cells, parts.boards, parts.figures), encoding="utf-8")
    markdown_path.write_text(markdown_report(store, parts.cells, parts.boards, parts.figures), encoding="utf-8")
    return {"html": html_path, "markdown": markdown_path, "figures": folder}
