"""Leaderboards built from a run's records alone: scores, costs and the leak report.

Each board is a plain `Board` (title, columns, rows, highlighted cells, notes) rendered to the
terminal with rich or to markdown, so `bench leaderboard` and docs/results.md show the same
numbers. Every title names the source, the seed count (and folds), the profile and backend
(and the runs, for a leaderboard merged from several: `bench.results.merge`). A metric plugin's
values, recorded by every trial, get a column when asked for (`metrics`). What is primary, which
direction is better and how splits are ordered and flagged come from run.json's declared
metrics and splits, never from plugin names. On a terminal a board fits its width
(`bench.results.fit`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, replace

from rich.console import Console
from rich.text import Text

from bench.results import ensemble
from bench.results.fit import Column, render_table, select
from bench.results.interval_cache import FileIntervalCache
from bench.results.records import RunInfo, TrialRecord
from bench.results.rescore import computed_note
from bench.results.stats import BUILTIN_METRICS, MIN_TEST_SONGS, Cell, Paired, add_probe_differences, summarize
from bench.results.store import RunStore
from bench.text import visible

LABELS = {"r2": "R²", "mae": "MAE", "rmse": "RMSE", "pearson": "r", "spearman": "ρ"}
DIAGNOSIS_MARK = "⚑"
SPREAD_MARK = "≈"
Z_975, Z_80 = 1.959964, 0.841621  # two-sided 5% test, 80% power


@dataclass
class Board:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    highlight: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of best values
    baseline_rows: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    specs: list[Column] | None = None  # priorities and kinds of the columns (None: every column numeric, kept)

    def column_specs(self) -> list[Column]:
        return self.specs or [Column(c, c, 0) for c in self.columns]

    def only(self, wanted: list[str]) -> Board:
        """This board with just the `wanted` columns (keys or headers), in that order; ValueError
        naming unknown ones."""
        keep = select(self.column_specs(), wanted)
        moved = {old: new for new, old in enumerate(keep)}
        return replace(
            self,
            columns=[self.columns[i] for i in keep],
            rows=[[row[i] for i in keep] for row in self.rows],
            highlight={(r, moved[c]) for r, c in self.highlight if c in moved},
            specs=[self.specs[i] for i in keep] if self.specs else None,
        )


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


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


def _order(cells: list[Cell], info: RunInfo) -> list[Cell]:
    return sorted(cells, key=lambda c: (info.split_order(c.split), c.split, not c.baseline, -_score(c, info)))


def _score(cell: Cell, info: RunInfo) -> float:
    """The cell's primary metric, oriented so that higher is better (-inf when it has none)."""
    value = cell.mean.get(f"song.{info.primary}", float("nan"))
    sign = 1 if info.higher_is_better(info.primary) else -1
    return sign * value if math.isfinite(value) else -math.inf


def _paired_text(paired: Paired | None) -> str:
    if paired is None:
        return "–"
    if paired.too_few:
        return f"{paired.difference:+.3f} ({TOO_FEW})"
    mark = {"better": "✓ better", "worse": "✗ worse", "tie": "~ tie"}[paired.verdict]
    return f"{paired.difference:+.3f} [{fmt(paired.low)}, {fmt(paired.high)}] {mark}"


def _versus(cell: Cell, baseline: str) -> str:
    return _paired_text(next((p for p in cell.paired if p.baseline == baseline), None))


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


def diagnoses(cell: Cell) -> dict[str, int]:
    """How many of the cell's trials carry each diagnosis flag ("collapsed", "not learning", ...)."""
    counts: dict[str, int] = {}
    for record in cell.records:
        for flag in record.extra.get("diagnosis") or ():
            counts[str(flag)] = counts.get(str(flag), 0) + 1
    return counts


def within_spread(cells: list[Cell], info: RunInfo) -> set[int]:
    """Rows whose primary metric's seed std exceeds the distance to the next scored row of their split."""
    name, flagged = f"song.{info.primary}", set()
    scored = [i for i, c in enumerate(cells) if math.isfinite(c.mean.get(name, float("nan")))]
    for a, b in zip(scored, scored[1:]):
        if cells[a].split != cells[b].split:
            continue
        std = cells[a].std.get(name, float("nan"))
        if math.isfinite(std) and std > abs(cells[a].mean[name] - cells[b].mean[name]):
            flagged.add(a)
    return flagged


def seeds_to_separate(mean_a: float, std_a: float, mean_b: float, std_b: float) -> float:
    """n ≈ 2·((z₀.₉₇₅ + z₀.₈)·sd/Δ)² seeds per row to tell two means apart (sd pooled); inf when Δ is 0."""
    delta, sd = abs(mean_a - mean_b), math.sqrt((std_a**2 + std_b**2) / 2)
    if delta == 0:
        return math.inf
    return 2 * ((Z_975 + Z_80) * sd / delta) ** 2


def power_note(cells: list[Cell], info: RunInfo) -> str | None:
    """One line: about how many seeds would separate the top two non-baseline rows of the first split."""
    name = f"song.{info.primary}"
    rows = [
        c
        for c in cells
        if not (c.baseline or ensemble.is_ensemble(c)) and math.isfinite(c.mean.get(name, float("nan")))
    ]
    if not rows:
        return None
    rows = [c for c in rows if c.split == rows[0].split][:2]
    if len(rows) < 2 or not all(math.isfinite(c.std.get(name, float("nan"))) for c in rows):
        return None
    (a, b), metric = rows, label(info.primary)
    n = seeds_to_separate(a.mean[name], a.std[name], b.mean[name], b.std[name])
    need = "no number of seeds (equal means)" if not math.isfinite(n) else f"about {max(2, math.ceil(n))} seeds per row"
    return (
        f"Telling {a.model} ({a.mean[name]:.3f}) from {b.model} ({b.mean[name]:.3f}) on {a.split} at their seed spread "
        f"(sd {a.std[name]:.3f}, {b.std[name]:.3f}) takes {need} (n ≈ 2·((z₀.₉₇₅+z₀.₈)·sd/Δ)², 80% power; this run "
        f"has {min(a.runs, b.runs)}); {metric} differences below that are seed noise."
    )


def probe_models(info: RunInfo) -> dict[str, str]:
    """feature -> the model recorded as its probe floor (run.json's per-model `probe_for`)."""
    return {m["probe_for"]: name for name, m in sorted((info.model_code or {}).items()) if m.get("probe_for")}


def context(info: RunInfo, cells: list[Cell]) -> str:
    """The facts every number needs: source, seeds, folds, profile (with its window), backend."""
    source = info.source
    seeds = f"{info.seeds} seed{'s' if info.seeds != 1 else ''}"
    if info.config.get("max_seeds"):  # bench run --seeds auto (bench.pipeline.seeding)
        seeds = f"{info.seeds} to {info.config['max_seeds']} seeds (--seeds auto: added until apart from the mean)"
    if info.split_seed is not None:
        seeds += f" on one split (split seed {info.split_seed})"
    folds = f" × {info.folds} folds" if info.folds else ""
    counts = f"{source.get('tracks', '?')} songs, {source.get('windows', '?')} windows"
    data = f"{source.get('description') or info.config['source']} ({counts})"
    profile = info.profile
    window = f"window {profile['window_seconds']:g} s, hop {profile['hop_seconds']:g} s"
    if profile.get("train_hop_seconds"):  # bench.features.grid: extra windows, trained on only
        extra = source.get("training_windows", "?")
        window += f", training windows every {profile['train_hop_seconds']:g} s ({extra} windows)"
    tuning = info.tuning
    tuned = f"; tuned rows: {tuning['budget']} configurations per model, chosen on validation" if tuning else ""
    if tuning and tuning.get("budget_epochs"):
        tuned = (
            f"; tuned rows: {tuning['budget_epochs']} training epochs per model and seed ({tuning.get('pruner')} "
            "pruning on validation loss), chosen on validation"
        )
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


def target_metrics(cells: list[Cell]) -> list[str]:
    """The metrics the cells' trials computed for their target alone (MetricSpec.targets)."""
    return sorted({name for c in cells for r in c.records for name in r.target_metrics or ()})


def score_board(cells: list[Cell], target: str, info: RunInfo, metrics: tuple[str, ...] = ()) -> Board:
    """Song-level scores per model and split; `metrics` adds a column (song level, mean ± std
    over seeds) per named metric, a plugin's included, and so does every metric the target's
    trials computed for that target alone (tempo accuracies on a tempo target)."""
    cells = _order([c for c in cells if c.target == target], info)
    metrics = tuple(metrics) + tuple(m for m in target_metrics(cells) if m not in metrics)
    primary, name = info.primary, label(info.primary)
    baselines = sorted({c.model for c in cells if c.baseline})
    baselines += sorted({p.baseline for c in cells for p in c.paired} - set(baselines))  # --versus models
    probes = any(c.probe for c in cells)
    others = [m for m in ("mae", "pearson") if m != primary and any(f"song.{m}" in c.mean for c in cells)]
    specs = [
        Column("model", "model", 0, numeric=False),
        Column("feature", "feature", 4, numeric=False),
        Column("split", "split", 0, numeric=False),
        Column("runs", "runs", 3),
        Column(f"song {name}", "score", 0),
        Column(f"song {name} 95% CI", "ci", 1),
    ]
    specs += [Column(f"Δ {name} vs {b}", f"vs-{b}", 2 if i == 0 else 6) for i, b in enumerate(baselines)]
    specs += [Column(f"Δ {name} vs probe", "vs-probe", 3)] if probes else []
    specs += [Column(f"song {label(m)}", m, 7 + i) for i, m in enumerate(others)]
    specs += [Column(f"window {name}", "window", 9)]
    specs += [Column(f"song {m}", m, 5) for m in metrics]
    spread = within_spread(cells, info)
    flagged = [(cell, found) for cell in cells if (found := diagnoses(cell))]
    marks = [
        " ".join([DIAGNOSIS_MARK] * bool(diagnoses(cell)) + [SPREAD_MARK] * (i in spread))
        for i, cell in enumerate(cells)
    ]
    specs += [Column("flags", "flags", 1, numeric=False)] if any(marks) else []
    board = Board(f"{target}: song-level scores — {context(info, cells)}", [c.header for c in specs], specs=specs)
    for i, cell in enumerate(cells):
        failed = f" ({len(cell.failed)} failed)" if cell.failed else ""
        board.rows.append(
            [
                cell.model,
                cell.feature,
                _split_label(cell),
                f"{cell.runs}{failed}",
                pm(cell, f"song.{primary}"),
                interval(cell),
            ]
            + [
                (("baseline" if cell.baseline else "reference") if cell.model == b else _versus(cell, b))
                for b in baselines
            ]
            + ([_paired_text(cell.probe)] if probes else [])
            + [pm(cell, f"song.{m}") for m in others]
            + [pm(cell, f"window.{primary}")]
            + [pm(cell, f"song.{m}") for m in metrics]
            + ([marks[i]] if any(marks) else [])
        )
        if cell.baseline:
            board.baseline_rows.add(i)
    keys = [c.key for c in specs]
    best = {keys.index("score"): (f"song.{primary}", info.higher_is_better(primary))}
    best.update({keys.index(m): (f"song.{m}", info.higher_is_better(m)) for m in others})
    best[keys.index("window")] = (f"window.{primary}", info.higher_is_better(primary))
    _highlight_best(board, cells, best)
    board.notes.append(
        "Mean ± std over seeds/folds; the 95% CI is a two-stage bootstrap (seeds resampled, then each seed's test "
        f"songs). Δ is the paired difference in song {name} with a baseline (or a --versus model) on the same songs "
        "and seeds, with the same two-stage interval: ✓ means the whole interval is on the better side of zero. "
        f"No interval is given over fewer than {MIN_TEST_SONGS} distinct test songs ({TOO_FEW} (n)); "
        "r is '–' where it is undefined (a constant prediction)."
    )
    if probes:
        board.notes.append(
            "Δ vs probe: the paired difference with the probe model of the row's own feature (its floor: what a "
            "simple model reads from that feature)."
        )
    if flagged:
        described = "; ".join(
            f"{c.model} ({c.split}): " + ", ".join(f"{flag} in {n} of {c.runs}" for flag, n in sorted(found.items()))
            for c, found in flagged
        )
        board.notes.append(f"{DIAGNOSIS_MARK} (flags) training diagnosis: {described}.")
    if spread:
        board.notes.append(
            f"{SPREAD_MARK} (flags): the row's seed std of song {name} exceeds its distance to the next row of its "
            "split: "
            "their order is within seed noise."
        )
    computed = computed_note(info)
    if computed:
        board.notes.append(computed)
    power = power_note(cells, info)
    if power:
        board.notes.append(power)
    if any(c.leaky for c in cells):
        board.notes.append(
            "Rows marked (leaky) put windows of one song in train and test: their scores are optimistic."
        )
    return board


def cost_board(cells: list[Cell], target: str, info: RunInfo) -> Board:
    """Per cell, the mean cost of one trial; the run's feature time, paid once per feature and
    not by any one row, is a note."""
    cells = _order([c for c in cells if c.target == target], info)
    columns = ["model", "feature", "split", "train s", "s / epoch", "predict win/s", "peak MiB", "params"]
    specs = [Column(c, c, 0 if i in (0, 2) else i, numeric=i not in (0, 1, 2)) for i, c in enumerate(columns)]
    board = Board(f"{target}: cost per trial (mean over runs) — {context(info, cells)}", columns, specs=specs)
    for i, cell in enumerate(cells):
        c = cell.cost
        board.rows.append(
            [
                cell.model,
                cell.feature,
                _split_label(cell),
                fmt(c.get("train_s"), 2),
                fmt(c.get("epoch_s"), 2),
                fmt(c.get("predict_windows_per_s"), 0),
                fmt(c.get("peak_rss_mb"), 0),
                fmt(c.get("params"), 0),
            ]
        )
        if cell.baseline:
            board.baseline_rows.add(i)
    _highlight_best(board, cells, {3: ("train_s", False), 6: ("peak_rss_mb", False)})
    board.notes.append(
        "predict win/s: test windows per second on a second, warm pass (the first pass's start-up excluded), "
        f"over {_test_windows(cells)} test windows a trial."
    )
    seconds = feature_seconds(cells)
    if seconds:
        board.notes.append(
            "Feature time this run (once per feature, shared by every row reading it; 0 when the cache was warm): "
            + ", ".join(f"{feature} {value:.2f} s" for feature, value in seconds.items())
            + "."
        )
    return board


def _test_windows(cells: list[Cell]) -> str:
    """The range of test-window counts over the cells' trials ("40" or "38-41")."""
    counts = sorted({int(r.extra["n_test_windows"]) for c in cells for r in c.records if "n_test_windows" in r.extra})
    if not counts:
        return "?"
    return str(counts[0]) if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"


def feature_seconds(cells: list[Cell]) -> dict[str, float]:
    """feature -> the seconds this run spent computing it (each trial records the run's figure)."""
    seconds: dict[str, float] = {}
    for cell in cells:
        value = cell.cost.get("feature_s", math.nan)
        if math.isfinite(value):
            seconds[cell.feature] = max(seconds.get(cell.feature, 0.0), value)
    return dict(sorted(seconds.items()))


def leak_board(cells: list[Cell], target: str, info: RunInfo) -> Board | None:
    """Per model, the song-level primary metric under each split side by side, and each leaky
    split's gap to each grouped one (the splits the run declared leaky)."""
    cells = [c for c in cells if c.target == target and c.records]
    splits = sorted({c.split for c in cells}, key=lambda s: (info.split_order(s), s))
    leaky = [s for s in splits if s in info.leaky_splits()]
    grouped = [s for s in splits if s not in leaky]
    if not leaky or not grouped:
        return None
    primary, name = f"song.{info.primary}", label(info.primary)
    gaps = [(a, b) for a in leaky for b in grouped]
    columns = ["model", "feature"] + [f"{s} {name}" for s in splits] + [f"gap {a} − {b}" for a, b in gaps]
    specs = [Column(c, c, 0 if i == 0 else 1 + i, numeric=i > 1) for i, c in enumerate(columns)]
    board = Board(f"{target}: leak report (song-level {name}) — {context(info, cells)}", columns, specs=specs)
    by = {(c.model, c.feature, c.split): c for c in cells}
    for model, feature in sorted({(c.model, c.feature) for c in cells}):
        row = [model, feature] + [
            pm(by[(model, feature, s)], primary) if (model, feature, s) in by else "–" for s in splits
        ]
        for a, b in gaps:
            one, other = by.get((model, feature, a)), by.get((model, feature, b))
            gap = one.mean.get(primary, math.nan) - other.mean.get(primary, math.nan) if one and other else math.nan
            row.append(f"{gap:+.3f}" if math.isfinite(gap) else "–")
        board.rows.append(row)
    board.notes.append(
        f"The gap is how much a leaky split flatters a model: a large gap in its favour means it scores by recognising "
        f"songs (or artists) it has already heard, not by hearing {target}; trust the grouped splits."
    )
    return board


def run_cells(store: RunStore, added: list[TrialRecord] | None = None, references: tuple[str, ...] = ()) -> list[Cell]:
    """The run's cells from its records alone: no plugin is loaded, so a run made with a
    `--plugin` module that is gone still reads. Every metric's values come from the records;
    intervals and paired differences recompute the run's primary metric when it is a built-in
    (bench.results.stats), cached in the run folder by the records' content. `added`: records
    made on the read side (bench.results.ensemble's twins) summarised with the run's; `references`:
    models every other row is paired with, as with a baseline (ValueError for one not in the run)."""
    info = store.run_info()
    primary, higher = info.primary, info.higher_is_better(info.primary)
    cache = FileIntervalCache(store.dir)
    records = store.trials() + (added or [])
    unknown = sorted(set(references) - {r.model for r in records if r.ok})
    if unknown:
        models = ", ".join(sorted({r.model for r in records if r.ok}))
        raise ValueError(f"--versus: no scored trial of {', '.join(unknown)} in this run. Models: {models}")
    cells = summarize(records, BUILTIN_METRICS, primary, higher=higher, cache=cache, references=references)
    ensemble.without_seed_spread(cells)
    if primary in BUILTIN_METRICS:
        add_probe_differences(cells, probe_models(info), BUILTIN_METRICS[primary], primary, higher=higher, cache=cache)
    cache.save()
    return cells


def boards(
    store: RunStore,
    cells: list[Cell] | None = None,
    metrics: tuple[str, ...] = (),
    ensembles: bool = False,
    references: tuple[str, ...] = (),
) -> list[Board]:
    """Every board of a run (or of runs merged by `bench.results.merge`), target by target (from
    `cells` when already summarized); `metrics` adds score columns (ValueError for a metric
    no trial recorded); `ensembles` adds a seed-ensemble row per model cell that has one
    (bench.results.ensemble); `references` adds a paired Δ column per named model."""
    info = store.run_info()
    found = ensemble.seed_ensembles(store.trials()) if ensembles else ensemble.Ensembles()
    cells = run_cells(store, found.records, references) if cells is None else cells
    check_metrics(cells, metrics)
    result = []
    for target in sorted({c.target for c in cells}):
        scores = score_board(cells, target, info, tuple(metrics))
        scores.notes += ensemble.notes(found, target)
        result += [scores, cost_board(cells, target, info)]
        leak = leak_board(cells, target, info)
        if leak:
            result.append(leak)
    return result


def render_rich(board: Board, console: Console, columns: list[str] | None = None, wide: bool = False) -> None:
    """The board fitted to the console's width (bench.results.fit); `columns` chooses columns,
    `wide` shows every one at its full width."""
    dropped = render_table(
        board.title, board.column_specs(), board.rows, console, board.highlight, board.baseline_rows, columns, wide
    )
    if dropped:
        console.print(
            Text(f"Not shown at this width: {', '.join(dropped)} (--columns chooses columns, --wide shows all).")
        )
    for note in board.notes:
        console.print(Text(visible(note), style="italic"))
    console.print()


def markdown_text(text: str) -> str:
    """`text` safe in a markdown table cell: control characters shown as escapes (bench.text),
    raw HTML escaped, pipes and line breaks neutralised."""
    return html.escape(visible(text), quote=False).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def html_text(text: str) -> str:
    """`text` safe in HTML (an attribute's value included): control characters shown as escapes
    (bench.text), markup escaped. Names, notes and captions come from a results folder, which may
    be someone else's."""
    return html.escape(visible(text))


def render_markdown(board: Board) -> str:
    columns = [markdown_text(c) for c in board.columns]
    lines = [f"### {markdown_text(board.title)}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for i, row in enumerate(board.rows):
        cells = [
            f"**{markdown_text(v)}**" if (i, j) in board.highlight else markdown_text(v) for j, v in enumerate(row)
        ]
        if i in board.baseline_rows:
            cells[0] = f"_{cells[0]}_"
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"_{markdown_text(note)}_" for note in board.notes]
    return "\n".join(lines) + "\n"


def render_html(board: Board) -> str:
    """The board as an HTML table (best values in <strong>, baseline rows of class "baseline") in a
    box of class "table" that scrolls sideways on a narrow screen instead of the page."""
    head = "".join(f"<th>{html_text(c)}</th>" for c in board.columns)
    rows = []
    for i, row in enumerate(board.rows):
        cells = [
            f"<strong>{html_text(v)}</strong>" if (i, j) in board.highlight else html_text(v) for j, v in enumerate(row)
        ]
        css = ' class="baseline"' if i in board.baseline_rows else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    notes = "".join(f'<p class="note">{html_text(note)}</p>' for note in board.notes)
    return (
        f'<div class="table"><table><caption>{html_text(board.title)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{notes}\n"
    )


def run_summary(info: RunInfo) -> str:
    """One line about the run: status, trials, failures, problems, wall time."""
    wall = "nan" if info.wall_s is None else f"{info.wall_s:.0f}"
    return (
        f"Run {info.run_id}: {info.status}, {'?' if info.trials is None else info.trials} trials, "
        f"{info.failed_trials or 0} failed, {len(info.problems)} input problem(s), {wall} s wall time"
    )
