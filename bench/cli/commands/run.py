"""`bench run`, `bench prepare` and `bench tune`: the commands that build features and train."""

from __future__ import annotations

import argparse
import sys

from bench.cli import terminal
from bench.cli.arguments import (
    add_common,
    add_experiment,
    add_run_arguments,
    add_short,
    add_source,
    add_table,
    add_train_hop,
    add_window,
    run_config,
    with_experiment,
)
from bench.profiles import DEFAULT_PROFILE, PROFILES, window_overrides
from bench.specs import CommandSpec
from bench.text import shown
from bench.trial.pruning import PRUNERS


def show_leaderboard(
    store,
    fmt: str = "table",
    metrics: tuple[str, ...] = (),
    columns: list[str] | None = None,
    wide: bool = False,
    ensembles: bool = False,
    references: tuple[str, ...] = (),
) -> None:
    """A run's boards in the chosen format: tables on the console (fitted to it; `wide` or a
    pipe: every column), or markdown, csv, json on stdout; `columns` chooses the score board's
    columns in tables and markdown; `references` adds a paired Δ column per named model;
    `ensembles` adds the seed-ensemble rows (tables and markdown)."""
    from bench.results.leaderboard import boards, render_markdown, render_rich, run_summary

    if fmt == "markdown":
        shown_boards = boards(store, metrics=metrics, ensembles=ensembles, references=references)
        print("\n".join(render_markdown(_chosen(b, columns)) for b in shown_boards))
        return
    if fmt in ("csv", "json"):
        from bench.results.export import export

        sys.stdout.write(export(store, fmt))
        return
    console = terminal.console
    console.print()
    wide = wide or terminal.piped()
    for board in boards(store, metrics=metrics, ensembles=ensembles, references=references):
        render_rich(board, console, columns if _scores(board) else None, wide)
    console.print(shown(run_summary(store.run_info())))


def _scores(board) -> bool:
    """Whether `board` is a score board, the one `--columns` chooses from."""
    return any(c.key == "score" for c in board.column_specs())


def _chosen(board, columns: list[str] | None):
    return board.only(columns) if columns and _scores(board) else board


def run_exit_code(info) -> int:
    """0 when every trial worked and every input was used; 3 (saying why) when the run
    completed with failed trials or skipped inputs, or no trial produced a score."""
    failed, skipped = info.get("failed_trials", 0), info.get("skipped_inputs", 0)
    if info.get("trials") and info.get("scored_trials", info["trials"]) == 0:
        terminal.console.print("[red]No trial produced a score[/] (exit code 3; see the lines above).")
        return 3
    if not (failed or skipped):
        return 0
    reasons = ([f"{failed} failed trial(s)"] if failed else []) + ([f"{skipped} skipped input(s)"] if skipped else [])
    terminal.console.print(f"[yellow]Completed with {' and '.join(reasons)}[/] (exit code 3; see the lines above).")
    return 3


def _run_arguments(p: argparse.ArgumentParser) -> None:
    add_run_arguments(p)
    add_experiment(p)
    add_table(p)
    add_common(p)


def cmd_run(args) -> int:
    from bench.pipeline.runner import run

    args = with_experiment(args, getattr(args, "command_argv", []))
    if not (args.all or args.model or args.resume):
        raise SystemExit("bench run: say what to run: --all, or --model NAME (repeatable), or --resume RUN_ID")
    store = run(run_config(args), terminal.console, resume=args.resume, trust_run=args.trust_run)
    show_leaderboard(store, columns=args.columns, wide=args.wide)
    return run_exit_code(store.info())


def _prepare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", action="append", metavar="NAME", help="the features these models read (default: all)")
    p.add_argument("--feature", action="append", metavar="NAME", help="a feature to build (repeatable)")
    p.add_argument(
        "--target",
        action="append",
        metavar="LABEL",
        help="label column(s) a run will predict: rows without a usable one are left out (default: every label "
        "column the table has; preparing features needs none)",
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="sizes of windows and features")
    add_window(p)
    add_train_hop(p)
    add_source(p)
    add_short(p)
    p.add_argument("--jobs", type=int, default=0, help="feature workers at a time (default: one per CPU)")
    p.add_argument("--executor", choices=["process", "ray"], default="process", help="where the workers run")
    p.add_argument("--address", help="Ray cluster address (with --executor ray)")
    add_common(p)


def cmd_prepare(args) -> int:
    from bench.cli.arguments import source_options
    from bench.features.cache import default_cache_dir
    from bench.pipeline.config import RunConfig
    from bench.pipeline.executors import make_executor
    from bench.pipeline.runner import needed_features, prepare
    from bench.registry import load_registry

    config = RunConfig(
        source=args.source,
        source_options=source_options(args),
        models=args.model or [],
        targets=args.target or [],
        profile=args.profile,
        overrides=window_overrides(args.window_seconds, args.hop_seconds, args.train_hop_seconds),
        plugins=args.plugin,
        jobs=args.jobs,
        executor=args.executor,
        address=args.address,
        short_policy=args.short,
        cache_dir=str(args.cache_dir or ""),
    )
    registry = load_registry(config.plugins)
    features = [registry.get("feature", n) for n in args.feature] if args.feature else needed_features(registry, config)
    pool = make_executor(config.executor, config.job_count(), config.address, config.plugins).feature_pool()
    prepared = prepare(config, registry, terminal.console, features, pool)
    dataset = prepared.dataset
    seconds = ", ".join(f"{name} {value:.1f} s" for name, value in dataset.feature_seconds.items())
    terminal.console.print(
        f"[bold]Prepared[/] {len(dataset.tracks)} tracks, {len(dataset.window_track)} windows "
        f"(worker time: {seconds}) in {config.cache_dir or default_cache_dir()}"
    )
    return 3 if prepared.skipped else 0


def _tune_arguments(p: argparse.ArgumentParser) -> None:
    add_run_arguments(p, augment=False)
    p.add_argument(
        "--trials", type=int, metavar="N", help="configurations per model, seed and cell: the budget (default 10)"
    )
    p.add_argument(
        "--budget-epochs",
        type=int,
        metavar="E",
        help="the budget in training epochs instead: configurations are asked until each model, seed and cell has "
        "trained E epochs (pruned ones' included; the last may overrun by up to --epochs)",
    )
    p.add_argument(
        "--pruner",
        choices=PRUNERS,
        help="Optuna's pruner, fed each epoch's validation loss: stops a configuration that trails the finished "
        "ones (default median)",
    )
    p.add_argument("--storage", metavar="URL", help="Optuna storage (default: SQLite in the run folder)")
    add_common(p)


def cmd_tune(args) -> int:
    from bench.pipeline.runner import run
    from bench.pipeline.tuning import DEFAULT_BUDGET, Budget, check_tunable, tune_run
    from bench.registry import load_registry

    if not (args.all or args.model or args.resume):
        raise SystemExit("bench tune: say what to tune: --all, or --model NAME (repeatable), or --resume RUN_ID")
    for flag, value in (("--trials", args.trials), ("--budget-epochs", args.budget_epochs)):
        if value is not None and value < 1:
            raise SystemExit(f"bench tune: {flag} must be at least 1. Received: {value}")
    if args.trials is not None and args.budget_epochs is not None:
        raise SystemExit("bench tune: the budget is --trials (configurations) or --budget-epochs (epochs), not both")
    config = run_config(args)
    if not args.resume:  # refuse before the run, not after its default trials
        check_tunable(load_registry(config.plugins), config.models)
    store = run(config, terminal.console, resume=args.resume, trust_run=args.trust_run)
    saved = store.info().get("tuning") or {}
    budget = Budget(
        args.trials or saved.get("budget") or DEFAULT_BUDGET,
        args.budget_epochs or (None if args.trials else saved.get("budget_epochs")),
        args.pruner or saved.get("pruner") or "median",
    )
    tune_run(store, budget, args.storage, terminal.console, args.trust_run)
    show_leaderboard(store)
    return 0


COMMANDS = [
    CommandSpec(
        "run",
        "build features, train every model on every split, print the leaderboard",
        _run_arguments,
        cmd_run,
        reads_source=True,
    ),
    CommandSpec(
        "prepare",
        "build a source's features into the cache without training (ahead of time, or on other machines)",
        _prepare_arguments,
        cmd_prepare,
        reads_source=True,
    ),
    CommandSpec(
        "tune",
        "`run`, then a hyperparameter search per model and seed (Optuna, scored on validation), and the chosen "
        "configuration tested beside the default",
        _tune_arguments,
        cmd_tune,
        reads_source=True,
    ),
]
