"""Leaderboards built from a run's records alone: scores, costs and the leak report.

Each board is a plain `Board` (title, columns, rows, highlighted cells, notes) rendered to the
terminal with rich or to markdown, so `bench leaderboard` and docs/results.md show the same
numbers. Every title names the source, the seed count (and folds), the profile and backend
(and the runs, for a leaderboard merged from several: `bench.results.merge`). A metric plugin's
values, recorded by every trial, get a column when asked for (`metrics`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.results.records import RunInfo, as_run_info
from bench.results.store import RunStore
from bench.results.stats import BUILTIN_METRICS, MIN_TEST_SONGS, Cell, summarize

PRIMARY = "r2"
SPLIT_ORDER = {"song": 0, "artist": 1, "fma-official": 2, "window": 9}


@dataclass
class Board:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    highlight: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of best values
    baseline_rows: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def pm(cell: Cell, name: str, digits: int = 3) -> str:
    mean, std = cell.mean.get(name), cell.std.get(name)
    if mean is None or not math.isfinite(mean):
        return "–"
    return f"{mean:.{digits}f} ± {fmt(std, digits)}" if std is not None and math.isfinite(std) else fmt(mean, digits)


def _split_label(cell: Cell) -> str:
    return f"{cell.split} (leaky)" if cell.leaky else cell.split


def _order(cells: list[Cell]) -> list[Cell]:
    return sorted(cells, key=lambda c: (SPLIT_ORDER.get(c.split, 5), c.split, not c.baseline, -_score(c)))


def _score(cell: Cell) -> float:
    value = cell.mean.get(f"song.{PRIMARY}", float("nan"))
    return value if math.isfinite(value) else -math.inf


def _versus(cell: Cell, baseline: str) -> str:
    for paired in cell.paired:
        if paired.baseline == baseline:
            if paired.too_few:
                return f"{paired.difference:+.3f} ({TOO_FEW})"
            mark = {"better": "✓ better", "worse": "✗ worse", "tie": "~ tie"}[paired.verdict]
            return f"{paired.difference:+.3f} [{fmt(paired.low)}, {fmt(paired.high)}] {mark}"
    return "–"


TOO_FEW = "too few test songs"


def interval(cell: Cell, digits: int = 3) -> str:
    """The cell's 95% interval as "[low, high]", or why there is none."""
    if cell.records and cell.songs < MIN_TEST_SONGS:
        return f"{TOO_FEW} ({cell.songs})"
    return f"[{fmt(cell.interval[0], digits)}, {fmt(cell.interval[1], digits)}]"


def _highlight_best(board: Board, cells: list[Cell], columns: dict[int, tuple[str, bool]]) -> None:
    """Mark the best value of each scored column within each split."""
    for split in {c.split for c in cells}:
        rows = [i for i, c in enumerate(cells) if c.split == split and c.records]
        for column, (name, higher) in columns.items():
            values = [(cells[i].mean.get(name, cells[i].cost.get(name, float("nan"))), i) for i in rows]
            values = [(v, i) for v, i in values if math.isfinite(v)]
            if values:
                best = max(values) if higher else min(values)
                board.highlight.add((best[1], column))


def context(info: RunInfo | dict, cells: list[Cell]) -> str:
    """The facts every number needs: source, seeds, folds, profile (with its window), backend."""
    info = as_run_info(info)
    source = info.source
    seeds = f"{info.seeds} seed{'s' if info.seeds != 1 else ''}"
    folds = f" × {info.folds} folds" if info.folds else ""
    counts = f"{source.get('tracks', '?')} songs, {source.get('windows', '?')} windows"
    data = f"{source.get('description') or info.config['source']} ({counts})"
    profile = info.profile
    window = f"window {profile['window_seconds']:g} s, hop {profile['hop_seconds']:g} s"
    tuning = info.tuning
    tuned = f"; tuned rows: {tuning['budget']} configurations per model, chosen on validation" if tuning else ""
    variants = sorted({"+".join(r.augment) for c in cells for r in c.records + c.failed if r.augment})
    if variants:  # bench.trial.augment: "model+noise" rows
        tuned += f"; rows model+X augmented on training windows only: {', '.join(variants)}"
    merged = info.extra.get("merged")
    runs = f"runs {' + '.join(merged)} merged (same data); " if merged else ""
    return f"{runs}{data}; {seeds}{folds}; profile {profile['name']} ({window}); backend {info.backend or '?'}{tuned}"


def recorded_metrics(cells: list[Cell]) -> list[str]:
    """The song-level metrics the cells' trials recorded (built-in and plugin ones)."""
    return sorted({key.split(".", 1)[1] for c in cells for key in c.mean if key.startswith("song.")})


def check_metrics(cells: list[Cell], metrics: list[str] | tuple[str, ...]) -> None:
    """ValueError naming a requested metric no trial recorded, and the ones they did."""
    known = recorded_metrics(cells)
    for name in metrics:
        if name not in known:
            raise ValueError(
                f"--metric {name}: no trial recorded it (a metric plugin must be installed, or passed with --plugin, "
                f"when the run trains). Recorded metrics: {', '.join(known) or 'none'}."
            )


def score_board(cells: list[Cell], target: str, info: RunInfo, metrics: tuple[str, ...] = ()) -> Board:
    """Song-level scores per model and split; `metrics` adds a column (song level, mean ± std
    over seeds) per named metric, a plugin's included."""
    cells = _order([c for c in cells if c.target == target])
    baselines = sorted({c.model for c in cells if c.baseline})
    columns = ["model", "feature", "split", "runs", "song R²", "song R² 95% CI"]
    columns += [f"Δ R² vs {b}" for b in baselines] + ["song MAE", "song r", "window R²"]
    columns += [f"song {name}" for name in metrics]
    board = Board(f"{target}: song-level scores — {context(info, cells)}", columns)
    for i, cell in enumerate(cells):
        failed = f" ({len(cell.failed)} failed)" if cell.failed else ""
        board.rows.append(
            [
                cell.model,
                cell.feature,
                _split_label(cell),
                f"{cell.runs}{failed}",
                pm(cell, "song.r2"),
                interval(cell),
            ]
            + [("baseline" if cell.model == b else _versus(cell, b)) for b in baselines]
            + [pm(cell, "song.mae"), pm(cell, "song.pearson"), pm(cell, "window.r2")]
            + [pm(cell, f"song.{name}") for name in metrics]
        )
        if cell.baseline:
            board.baseline_rows.add(i)
    n = len(columns) - len(metrics)
    _highlight_best(
        board,
        cells,
        {4: ("song.r2", True), n - 3: ("song.mae", False), n - 2: ("song.pearson", True), n - 1: ("window.r2", True)},
    )
    board.notes.append(
        "Mean ± std over seeds/folds; the 95% CI bootstraps songs pooled over seeds. Δ is the paired difference "
        "in song R² with a baseline on the same songs and seeds: ✓ means the whole interval is above zero. "
        f"No interval is given over fewer than {MIN_TEST_SONGS} distinct test songs ({TOO_FEW} (n)); "
        "r is '–' where it is undefined (a constant prediction)."
    )
    if any(c.leaky for c in cells):
        board.notes.append(
            "Rows marked (leaky) put windows of one song in train and test: their scores are optimistic."
        )
    return board


def cost_board(cells: list[Cell], target: str, info: RunInfo) -> Board:
    cells = _order([c for c in cells if c.target == target])
    columns = ["model", "feature", "split", "train s", "s / epoch", "feature s", "predict win/s", "peak MiB", "params"]
    board = Board(f"{target}: cost per trial (mean over runs) — {context(info, cells)}", columns)
    for i, cell in enumerate(cells):
        c = cell.cost
        board.rows.append(
            [
                cell.model,
                cell.feature,
                _split_label(cell),
                fmt(c.get("train_s"), 2),
                fmt(c.get("epoch_s"), 2),
                fmt(c.get("feature_s"), 2),
                fmt(c.get("predict_windows_per_s"), 0),
                fmt(c.get("peak_rss_mb"), 0),
                fmt(c.get("params"), 0),
            ]
        )
        if cell.baseline:
            board.baseline_rows.add(i)
    _highlight_best(board, cells, {3: ("train_s", False), 7: ("peak_rss_mb", False)})
    board.notes.append("feature s: time this run spent computing the model's feature (0 when the cache was warm).")
    return board


def leak_board(cells: list[Cell], target: str, info: RunInfo) -> Board | None:
    """Per model, the song-level R² under each split side by side, and the window-minus-grouped gap."""
    cells = [c for c in cells if c.target == target and c.records]
    splits = sorted({c.split for c in cells}, key=lambda s: SPLIT_ORDER.get(s, 5))
    if "window" not in splits or len(splits) < 2:
        return None
    grouped = [s for s in splits if s != "window"]
    columns = ["model", "feature"] + [f"{s} R²" for s in splits] + [f"gap window − {s}" for s in grouped]
    board = Board(f"{target}: leak report (song-level R²) — {context(info, cells)}", columns)
    by = {(c.model, c.feature, c.split): c for c in cells}
    for model, feature in sorted({(c.model, c.feature) for c in cells}):
        row = [model, feature] + [
            pm(by[(model, feature, s)], "song.r2") if (model, feature, s) in by else "–" for s in splits
        ]
        window = by.get((model, feature, "window"))
        for s in grouped:
            other = by.get((model, feature, s))
            gap = window.mean["song.r2"] - other.mean["song.r2"] if window and other else float("nan")
            row.append(f"{gap:+.3f}" if math.isfinite(gap) else "–")
        board.rows.append(row)
    board.notes.append(
        "The gap is how much the window split flatters a model: a large positive gap means it scores by recognising "
        "songs (or artists) it has already heard, not by hearing danceability; trust the grouped splits."
    )
    return board


def run_cells(store: RunStore) -> list[Cell]:
    """The run's cells from its records alone: no plugin is loaded, so a run made with a
    `--plugin` module that is gone still reads. Every metric's values come from the records;
    intervals and paired differences recompute the built-in primary metric (bench.results.stats)."""
    return summarize(store.trials(), BUILTIN_METRICS, PRIMARY)


def boards(store: RunStore, cells: list[Cell] | None = None, metrics: tuple[str, ...] = ()) -> list[Board]:
    """Every board of a run (or of runs merged by `bench.results.merge`), target by target (from
    `cells` when already summarized); `metrics` adds score columns (ValueError for a metric
    no trial recorded)."""
    info = store.run_info()
    cells = run_cells(store) if cells is None else cells
    check_metrics(cells, metrics)
    result = []
    for target in sorted({c.target for c in cells}):
        result += [score_board(cells, target, info, tuple(metrics)), cost_board(cells, target, info)]
        leak = leak_board(cells, target, info)
        if leak:
            result.append(leak)
    return result


def render_rich(board: Board, console: Console) -> None:
    """The board as a rich table of plain Text: a name from data prints as itself (no markup, no emoji codes)."""
    table = Table(title=Text(board.title), title_justify="left", header_style="bold", show_lines=False)
    for column in board.columns:
        table.add_column(Text(column), overflow="fold")
    for i, row in enumerate(board.rows):
        cells = [Text(v, style="bold green" if (i, j) in board.highlight else "") for j, v in enumerate(row)]
        table.add_row(*cells, style="dim" if i in board.baseline_rows else None)
    console.print(table)
    for note in board.notes:
        console.print(Text(note, style="italic"))
    console.print()


def markdown_text(text: str) -> str:
    """`text` safe in a markdown table cell: raw HTML escaped, pipes and line breaks neutralised."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_markdown(board: Board) -> str:
    columns = [markdown_text(c) for c in board.columns]
    lines = [f"### {markdown_text(board.title)}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for i, row in enumerate(board.rows):
        cells = [f"**{markdown_text(v)}**" if (i, j) in board.highlight else markdown_text(v) for j, v in enumerate(row)]
        if i in board.baseline_rows:
            cells[0] = f"_{cells[0]}_"
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"_{markdown_text(note)}_" for note in board.notes]
    return "\n".join(lines) + "\n"


def render_html(board: Board) -> str:
    """The board as an HTML table (best values in <strong>, baseline rows of class "baseline")."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in board.columns)
    rows = []
    for i, row in enumerate(board.rows):
        cells = [f"<strong>{html.escape(v)}</strong>" if (i, j) in board.highlight else html.escape(v) for j, v in enumerate(row)]
        css = ' class="baseline"' if i in board.baseline_rows else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in board.notes)
    return (
        f"<table><caption>{html.escape(board.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{notes}\n"
    )


def run_summary(info: RunInfo | dict) -> str:
    """One line about the run: status, trials, failures, problems, wall time."""
    info = as_run_info(info)
    wall = "nan" if info.wall_s is None else f"{info.wall_s:.0f}"
    return (
        f"Run {info.run_id}: {info.status}, {'?' if info.trials is None else info.trials} trials, "
        f"{info.failed_trials or 0} failed, {len(info.problems)} input problem(s), {wall} s wall time"
    )
