"""`bench leaderboard`, `report`, `compare` and `predict`: the commands that read finished runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.cli import terminal
from bench.cli.arguments import add_common, add_metric, add_table, add_trust_run, results_dir
from bench.cli.commands.run import show_leaderboard
from bench.specs import CommandSpec
from bench.text import shown


def _leaderboard_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run",
        nargs="*",
        metavar="RUN",
        help="run id, unique prefix or folder (default: the latest); name several to merge runs whose data, splits "
        "and seeds match (refused, naming the difference, when they do not; a trial in several runs is kept once, "
        "the first-named run's)",
    )
    add_metric(p)
    p.add_argument(
        "--format",
        choices=["table", "markdown", "csv", "json"],
        default="table",
        help="csv/json: one row per cell with every metric's mean and std, CI, paired diffs, costs",
    )
    p.add_argument(
        "--ensemble",
        action="store_true",
        help="add a row per model that averages its seeds' song predictions ('1dwav (ensemble of 3)'), where every "
        "seed tested the same songs (--folds K, or a fixed split); tables and markdown",
    )
    p.add_argument(
        "--versus",
        action="append",
        default=[],
        metavar="MODEL",
        help="pair every row with this model too, as with a baseline: a 'Δ vs MODEL' column with its "
        "interval (repeatable; tables and markdown)",
    )
    add_table(p)
    add_common(p)


def installed_metrics(store, names: list[str], plugins: list[str], missing_only: bool = True) -> dict:
    """name -> MetricSpec of each metric in `names` the run's trials did not record (all of
    `names`, without `missing_only`), or with no names every installed metric the run lacks that
    applies to one of its targets: from the installed plugins and the --plugin modules, never
    from the run's own files. ValueError naming a metric no plugin provides."""
    from bench.registry import load_registry
    from bench.results.rescore import recorded

    trials = store.trials()
    done = recorded(trials) if missing_only else set()
    wanted = [n for n in names if n not in done]
    if names and not wanted:
        return {}
    available = load_registry(plugins).metrics
    for name in wanted:
        if name not in available:
            raise ValueError(
                f"--metric {name}: the run did not record it, and no installed metric plugin (nor a --plugin module) "
                f"provides it. Installed metrics: {', '.join(sorted(available)) or 'none'}."
            )
    if names:
        return {n: available[n] for n in wanted}
    targets = {r.target for r in trials if r.ok}
    return {n: m for n, m in sorted(available.items()) if n not in done and any(map(m.applies_to, targets))}


def with_metrics(store, args):
    """`store`, or a view of it with the --metric metrics it did not record computed from its
    stored predictions (their failures printed as warnings)."""
    from bench.results.rescore import Rescored

    computed = installed_metrics(store, args.metric, args.plugin) if args.metric else {}
    if not computed:
        return store
    view = Rescored(store, computed)
    for line in view.scoring.failures:
        Console(stderr=True, emoji=False).print(f"[yellow]warning:[/] {shown(line)}")
    return view


def cmd_leaderboard(args) -> int:
    from bench.results.merge import merge_runs
    from bench.results.store import find_run

    for flag, given in (("--ensemble rows are", args.ensemble), ("--versus columns are", args.versus)):
        if given and args.format in ("csv", "json"):
            raise SystemExit(f"bench leaderboard: {flag} shown in tables and markdown, not in csv or json")
    stores = [find_run(results_dir(args), run) for run in args.run or [None]]
    if len(stores) == 1:
        show_leaderboard(
            with_metrics(stores[0], args),
            args.format,
            tuple(args.metric),
            args.columns,
            args.wide,
            args.ensemble,
            tuple(args.versus),
        )
        return 0
    merged = merge_runs(stores)
    view = with_metrics(merged, args)
    out = terminal.console if args.format in ("table", "markdown") else Console(stderr=True, emoji=False)
    for line in merged.warnings:
        out.print(f"[yellow]warning:[/] {shown(line)}")
    for line in merged.notes:
        out.print(f"[italic]note:[/] {shown(line)}")
    show_leaderboard(view, args.format, tuple(args.metric), args.columns, args.wide, args.ensemble, tuple(args.versus))
    return 0


def _rescore_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run id, unique prefix or folder")
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="the metric to add (repeatable; default: every installed metric the run did not record)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="recompute the named metrics where the records already hold them"
    )
    add_common(p)


def cmd_rescore(args) -> int:
    from bench.results.rescore import write_rescored
    from bench.results.store import find_run

    store = find_run(results_dir(args), args.run)
    if args.overwrite and not args.metric:
        raise SystemExit("bench rescore: --overwrite needs --metric NAME (which recorded metric to recompute)")
    metrics = installed_metrics(store, args.metric, args.plugin, missing_only=not args.overwrite)
    if not metrics:
        terminal.console.print(f"Run {shown(store.id)} already records every metric asked for; nothing to do.")
        return 0
    scoring = write_rescored(store, metrics, args.overwrite)
    for line in scoring.failures:
        terminal.console.print(f"[yellow]warning:[/] {shown(line)}")
    for name, count in scoring.scored.items():
        terminal.console.print(
            f"song {shown(name)}: written into {count} trial record(s) of run {shown(store.id)}"
            + ("" if count else " (no successful trial of a target it applies to)")
        )
    return 1 if scoring.failures or not any(scoring.scored.values()) else 0


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run",
        nargs="*",
        metavar="RUN",
        help="run id, unique prefix or folder (default: the latest); several: one page, merged where their data "
        "match, side by side where not (report-runs.html in the first run's folder)",
    )
    add_metric(p)
    add_common(p)


def cmd_report(args) -> int:
    from bench.results.multi_report import write_multi_report
    from bench.results.report import write_report
    from bench.results.store import find_run

    stores = [find_run(results_dir(args), run) for run in args.run or [None]]
    metrics = tuple(args.metric)
    paths = write_report(stores[0], metrics) if len(stores) == 1 else write_multi_report(stores, metrics)
    terminal.console.print(
        f"Report: {paths['html']} (self-contained) and {paths['markdown']} (figures in {paths['figures']})"
    )
    return 0


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="RUN_A", help="the reference run (id, unique prefix or folder)")
    p.add_argument("run_b", metavar="RUN_B", help="the run to judge against it")
    p.add_argument(
        "--fail-if-worse",
        type=float,
        metavar="PCT",
        help="exit 1 when any cell's primary metric got worse by more than PCT%% of |A's value| (a CI gate)",
    )
    p.add_argument(
        "--max-drop",
        type=float,
        metavar="D",
        help="exit 1 when a cell got worse by more than D (absolute, in the metric's units) and the whole 95%% "
        "interval of the difference is on the worse side of zero",
    )
    p.add_argument(
        "--allow-different-data",
        action="store_true",
        help="compare runs whose data differ (refused by default, naming every difference)",
    )
    add_common(p)


def cmd_compare(args) -> int:
    from bench.results.compare import compare_runs
    from bench.results.store import find_run

    a, b = (find_run(results_dir(args), run) for run in (args.run_a, args.run_b))
    comparison = compare_runs(
        a, b, args.fail_if_worse, terminal.console, args.max_drop, allow_different_data=args.allow_different_data
    )
    return 1 if comparison.regressions else 0


def _predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run id, unique prefix or folder")
    p.add_argument("trial", metavar="TRIAL", help="the trial id (its record's file name without .json)")
    p.add_argument("files", nargs="+", type=Path, metavar="AUDIO_FILE")
    add_trust_run(p)
    add_common(p)


def cmd_predict(args) -> int:
    from bench.cli.predict import rate
    from bench.results.store import find_run

    store = find_run(results_dir(args), args.run)
    record = store.read_record(args.trial)
    title = f"{record.target if record else '?'} predicted by {args.trial} (run {store.id})"
    table = Table(title=shown(title), title_justify="left")
    for column in ("file", "song", "per window"):
        table.add_column(column)
    for rating in rate(store, args.trial, args.files, args.plugin, args.trust_run):
        table.add_row(shown(rating.path), f"{rating.song:.4f}", " ".join(f"{v:.3f}" for v in rating.windows))
    terminal.console.print(table)
    return 0


COMMANDS = [
    CommandSpec(
        "leaderboard",
        "render an earlier run's leaderboard from disk; several runs with the same data make one leaderboard",
        _leaderboard_arguments,
        cmd_leaderboard,
    ),
    CommandSpec(
        "rescore",
        "add a metric installed after a run to its trial records, scored from their stored song predictions",
        _rescore_arguments,
        cmd_rescore,
    ),
    CommandSpec(
        "report", "write report.html (self-contained) and report.md into a run's folder", _report_arguments, cmd_report
    ),
    CommandSpec(
        "compare",
        "two runs' matched cells side by side: the change and whether it beats seed noise",
        _compare_arguments,
        cmd_compare,
    ),
    CommandSpec(
        "predict", "rate audio files with a model saved by `bench run --save-models`", _predict_arguments, cmd_predict
    ),
]
