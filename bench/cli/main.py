"""The `bench` command line: run, validate, leaderboard, report, compare, plugins, check-plugin, cache.

Errors print as one line saying what went wrong and where; `--verbose` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import __version__
from bench.profiles import DEFAULT_PROFILE, PROFILES, window_overrides
from bench.trial.normalization import MODES as NORMALIZATION_MODES

# Piped output has no terminal to wrap it: render the wide tables at full width there.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)


def _add_run(
    sub, name: str = "run", help: str = "build features, train every model on every split, print the leaderboard"
):
    p = sub.add_parser(name, help=help)
    p.add_argument(
        "--all",
        action="store_true",
        help="every registered model (but opt-in ones, such as 2dwav-beats: name those) on every split that "
        "applies (window, song, artist, ...)",
    )
    p.add_argument("--model", action="append", metavar="NAME", help="a model name or glob (repeatable); default: all")
    p.add_argument(
        "--split",
        action="append",
        metavar="NAME",
        help="a split name or glob (repeatable); default: every split, the source's official one only if it has one",
    )
    p.add_argument(
        "--seeds", type=int, default=3, help="seeds per cell: weights, shuffling and the split itself (default 3)"
    )
    p.add_argument(
        "--folds", type=int, help="grouped k-fold cross-validation with K folds instead of one hold-out split"
    )
    p.add_argument(
        "--target", action="append", metavar="LABEL", help="label column(s) to predict (default: danceability)"
    )
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="sizes of windows, features and models"
    )
    p.add_argument("--epochs", type=int, help="override the profile's maximum epochs")
    p.add_argument("--patience", type=int, help="override the profile's early-stopping patience (epochs)")
    p.add_argument("--batch-size", type=int, help="override the profile's batch size")
    p.add_argument("--optimizer", choices=["adam", "sgd"], help="override the profile's optimizer")
    p.add_argument("--loss", choices=["mae", "mse"], help="override the profile's loss")
    p.add_argument("--learning-rate", type=float, help="override the profile's learning rate")
    _add_window(p)
    p.add_argument(
        "--normalization",
        choices=NORMALIZATION_MODES,
        help="feature normalisation of the networks' inputs: per window (paper, zscore), none, or train-fitted",
    )
    _add_source(p)
    _add_short(p)
    p.add_argument("--aggregate", choices=["mean", "median"], default="mean", help="window-to-song aggregation")
    p.add_argument("--jobs", type=int, default=0, help="trials (and feature workers) at a time (default: one per CPU)")
    p.add_argument("--executor", choices=["process", "inline", "ray"], default="process", help="where trials run")
    p.add_argument("--address", help="Ray cluster address (with --executor ray)")
    p.add_argument("--save-models", action="store_true", help="save each trial's trained model next to its record")
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="one thread per trial and deterministic kernels, so a seed gives the same numbers at any --jobs "
        "(slower when --jobs is below the CPU count)",
    )
    p.add_argument(
        "--mixed-precision",
        action="store_true",
        help="train and predict under Keras's mixed_float16 policy (a GPU in every trial's worker; refused on CPU)",
    )
    if name == "run":
        p.add_argument(
            "--augment",
            action="append",
            metavar="NAME[,NAME]",
            help="also train each network with these augmentations of its training windows (a comma list is applied "
            "together; repeat the flag for separate variants); the clean trials run too. `bench plugins` lists them",
        )
    p.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="finish an interrupted run: run the trials it lacks, retry its failed ones; with --model (and --plugin), "
        "also add those models to it: their trials run on the run's data, splits, seeds and targets ('adding N trials "
        "for model X')",
    )
    _add_common(p)
    return p


def _add_tune(sub) -> None:
    p = _add_run(
        sub,
        "tune",
        "`run`, then a hyperparameter search per model and seed (Optuna, scored on validation), and the chosen "
        "configuration tested beside the default",
    )
    p.add_argument(
        "--trials", type=int, metavar="N", help="configurations per model, seed and cell: the budget (default 10)"
    )
    p.add_argument("--storage", metavar="URL", help="Optuna storage (default: SQLite in the run folder)")


def _add_prepare(sub) -> None:
    p = sub.add_parser(
        "prepare",
        help="build a source's features into the cache without training (ahead of time, or on other machines)",
    )
    p.add_argument("--model", action="append", metavar="NAME", help="the features these models read (default: all)")
    p.add_argument("--feature", action="append", metavar="NAME", help="a feature to build (repeatable)")
    p.add_argument(
        "--target", action="append", metavar="LABEL", help="label column(s) a run will predict (default: danceability)"
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="sizes of windows and features")
    _add_window(p)
    _add_source(p)
    _add_short(p)
    p.add_argument("--jobs", type=int, default=0, help="feature workers at a time (default: one per CPU)")
    p.add_argument("--executor", choices=["process", "ray"], default="process", help="where the workers run")
    p.add_argument("--address", help="Ray cluster address (with --executor ray)")
    _add_common(p)


def _add_hearing(sub) -> None:
    p = _add_run(
        sub,
        "hearing",
        "the hearing test: `run` on every generating cue of the synthetic corpus (default: every model, song and "
        "artist splits), then a models x cues board of song-level R²",
    )
    p.add_argument("--format", choices=["table", "markdown"], default="table", help="print the board as markdown")


# The commands that read a source: their parsers carry each source plugin's own flags
# (bench.cli.options), so only they load the plugin registry before parsing.
SOURCE_COMMANDS = ("run", "prepare", "validate", "hearing", "tune")


def _add_window(p) -> None:
    p.add_argument(
        "--window-seconds",
        type=float,
        metavar="S",
        help="override the profile's window length in seconds (quick: 5, paper: 30); models are built for it",
    )
    p.add_argument(
        "--hop-seconds",
        type=float,
        metavar="S",
        help="seconds from one window's start to the next (default: the window length, no overlap)",
    )


def _add_short(p) -> None:
    p.add_argument(
        "--short",
        choices=["pad", "drop"],
        default="pad",
        help="clips shorter than a window: zero-pad (default; under half a window they are dropped) or drop",
    )


def _add_source(p) -> None:
    p.add_argument(
        "--source",
        default="synthetic",
        help="data source plugin (default: synthetic); each source's own flags are listed below",
    )


def _add_validate(sub) -> None:
    p = sub.add_parser(
        "validate", help="decode every file of a source, list every problem; exit 1 if a run would skip or drop any"
    )
    _add_source(p)
    p.add_argument(
        "--target",
        action="append",
        metavar="LABEL",
        help="label column(s) to check (default: every target of the source)",
    )
    p.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help="the window length and rate to check against",
    )
    _add_window(p)
    _add_short(p)
    p.add_argument(
        "--checksums", choices=["write", "verify"], help="write an md5 index of the files, or verify them against it"
    )
    p.add_argument(
        "--checksum-file",
        type=Path,
        metavar="FILE",
        help="the md5 index (default: checksums.md5 in the folder holding every file)",
    )
    _add_common(p)


def _add_metric(p) -> None:
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="add a column with this metric's song-level values (a plugin's, or rmse, spearman; repeatable)",
    )


def _add_common(p) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE", help="import one more plugin module")
    p.add_argument("--results-dir", type=Path, help="where runs live (default: ./results or $AFB_RESULTS_DIR)")
    p.add_argument(
        "--cache-dir", type=Path, help="feature cache (default: ~/.cache/audio-feature-bench or $AFB_CACHE_DIR)"
    )
    p.add_argument("--verbose", action="store_true", help="show tracebacks")


def build_parser(registry=None) -> argparse.ArgumentParser:
    """The full parser; with a registry, the commands that read a source get every source's flags."""
    parser = argparse.ArgumentParser(
        prog="bench", description="Benchmark CNNs that predict audio features from raw audio."
    )
    parser.add_argument("--version", action="version", version=f"audio-feature-bench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_prepare(sub)
    _add_hearing(sub)
    _add_tune(sub)
    _add_validate(sub)
    p = sub.add_parser(
        "leaderboard",
        help="render an earlier run's leaderboard from disk; several runs with the same data make one leaderboard",
    )
    p.add_argument(
        "run",
        nargs="*",
        metavar="RUN",
        help="run id, unique prefix or folder (default: the latest); name several to merge runs whose data, splits "
        "and seeds match (refused, naming the difference, when they do not; a trial in several runs is kept once, "
        "the first-named run's)",
    )
    _add_metric(p)
    p.add_argument(
        "--format",
        choices=["table", "markdown", "csv", "json"],
        default="table",
        help="csv/json: one row per cell with every metric's mean and std, CI, paired diffs, costs",
    )
    _add_common(p)
    p = sub.add_parser("report", help="write report.html (self-contained) and report.md into a run's folder")
    p.add_argument("run", nargs="?", help="run id, unique prefix or folder (default: the latest)")
    _add_metric(p)
    _add_common(p)
    p = sub.add_parser(
        "compare", help="two runs' matched cells side by side: the change and whether it beats seed noise"
    )
    p.add_argument("run_a", metavar="RUN_A", help="the reference run (id, unique prefix or folder)")
    p.add_argument("run_b", metavar="RUN_B", help="the run to judge against it")
    p.add_argument(
        "--fail-if-worse",
        type=float,
        metavar="PCT",
        help="exit 1 when any cell's song R² dropped by more than PCT%% of |A's value| (a CI gate)",
    )
    _add_common(p)
    p = sub.add_parser(
        "check-plugin",
        help="validate a model or feature plugin: the feature on real windows, then build, shapes, output range, "
        "training, predict, save/load",
    )
    p.add_argument("name", metavar="NAME", help="a model's or feature's registered name")
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="the sizes to check at (default quick)"
    )
    _add_common(p)
    p = sub.add_parser("predict", help="rate audio files with a model saved by `bench run --save-models`")
    p.add_argument("run", metavar="RUN", help="run id, unique prefix or folder")
    p.add_argument("trial", metavar="TRIAL", help="the trial id (its record's file name without .json)")
    p.add_argument("files", nargs="+", type=Path, metavar="AUDIO_FILE")
    _add_common(p)
    p = sub.add_parser("plugins", help="list every plugin, what it provides, its origin and version")
    _add_common(p)
    p = sub.add_parser("cache", help="show or clear the feature cache")
    p.add_argument("action", choices=["info", "clear", "prune"])
    p.add_argument("--older-than", type=float, metavar="DAYS", help="prune: entries last used more than DAYS ago")
    p.add_argument("--max-size", type=float, metavar="GIB", help="prune: least recently used entries down to GIB")
    _add_common(p)
    if registry is not None:
        from bench.cli.options import add_source_groups

        for command in SOURCE_COMMANDS:
            add_source_groups(sub.choices[command], registry)
    return parser


def _source_options(args) -> dict:
    """The chosen source's own flags (bench.cli.options); a flag of another source is an error."""
    from bench.cli.options import source_options
    from bench.registry import load_registry

    return source_options(args, load_registry(args.plugin), args.source)


def _config(args):
    from bench.pipeline.runner import RunConfig
    from bench.trial.augment import parse_variants

    overrides = {
        **{
            k: getattr(args, k)
            for k in ("epochs", "patience", "batch_size", "optimizer", "loss", "learning_rate", "normalization")
        },
        **window_overrides(args.window_seconds, args.hop_seconds),
    }
    config = RunConfig(
        source=args.source,
        source_options=_source_options(args),
        models=[] if args.all and not args.model else (args.model or []),
        splits=args.split or [],
        seeds=args.seeds,
        folds=args.folds,
        targets=args.target or ["danceability"],
        profile=args.profile,
        overrides={k: v for k, v in overrides.items() if v is not None},
        plugins=args.plugin,
        jobs=args.jobs,
        executor=args.executor,
        address=args.address,
        short_policy=args.short,
        aggregate=args.aggregate,
        save_models=args.save_models,
        mixed_precision=args.mixed_precision,
        deterministic=args.deterministic,
        augment=[list(variant) for variant in parse_variants(getattr(args, "augment", None))],
        cache_dir=str(args.cache_dir or ""),
        results_dir=str(args.results_dir or ""),
    )
    config.resolved_profile()  # a bad override (--hop-seconds 0) stops here, before a run folder exists
    return config


def _results_dir(args) -> Path:
    from bench.results.store import default_results_dir

    return args.results_dir or default_results_dir()


def cmd_run(args) -> int:
    from bench.pipeline.runner import run

    if not (args.all or args.model or args.resume):
        raise SystemExit("bench run: say what to run: --all, or --model NAME (repeatable), or --resume RUN_ID")
    store = run(_config(args), console, resume=args.resume)
    show_leaderboard(store)
    return run_exit_code(store.info())


def run_exit_code(info) -> int:
    """0 when every trial worked and every input was used; 3 (saying why) when the run
    completed with failed trials or skipped inputs."""
    failed, skipped = info.get("failed_trials", 0), info.get("skipped_inputs", 0)
    if not (failed or skipped):
        return 0
    reasons = ([f"{failed} failed trial(s)"] if failed else []) + ([f"{skipped} skipped input(s)"] if skipped else [])
    console.print(f"[yellow]Completed with {' and '.join(reasons)}[/] (exit code 3; see the lines above).")
    return 3


def cmd_prepare(args) -> int:
    from bench.features.cache import default_cache_dir
    from bench.pipeline.executors import make_executor
    from bench.pipeline.runner import RunConfig, needed_features, prepare
    from bench.registry import load_registry

    config = RunConfig(
        source=args.source,
        source_options=_source_options(args),
        models=args.model or [],
        targets=args.target or ["danceability"],
        profile=args.profile,
        overrides=window_overrides(args.window_seconds, args.hop_seconds),
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
    prepared = prepare(config, registry, console, features, pool)
    dataset = prepared.dataset
    seconds = ", ".join(f"{name} {value:.1f} s" for name, value in dataset.feature_seconds.items())
    console.print(
        f"[bold]Prepared[/] {len(dataset.tracks)} tracks, {len(dataset.window_track)} windows "
        f"(worker time: {seconds}) in {config.cache_dir or default_cache_dir()}"
    )
    return 3 if prepared.skipped else 0


def cmd_tune(args) -> int:
    from bench.pipeline.runner import run
    from bench.pipeline.tuning import DEFAULT_BUDGET, tune_run

    if not (args.all or args.model or args.resume):
        raise SystemExit("bench tune: say what to tune: --all, or --model NAME (repeatable), or --resume RUN_ID")
    if args.trials is not None and args.trials < 1:
        raise SystemExit(f"bench tune: --trials must be at least 1. Received: {args.trials}")
    config = _config(args)
    if not args.resume:  # refuse before the run, not after its default trials
        from bench.pipeline.tuning import check_tunable
        from bench.registry import load_registry

        check_tunable(load_registry(config.plugins), config.models)
    store = run(config, console, resume=args.resume)
    budget = args.trials or store.info().get("tuning", {}).get("budget") or DEFAULT_BUDGET
    tune_run(store, budget, args.storage, console)
    show_leaderboard(store)
    return 0


def cmd_hearing(args) -> int:
    from bench.pipeline.runner import run
    from bench.results.hearing import HEARING_SPLITS, hearing_board
    from bench.results.leaderboard import render_markdown, render_rich, run_cells, run_summary
    from plugins.sources.synth import CUE_COLUMNS

    args.target, args.split = args.target or list(CUE_COLUMNS), args.split or list(HEARING_SPLITS)
    args.all = args.all or not args.model
    store = run(_config(args), console, resume=args.resume)
    board = hearing_board(run_cells(store), store.info())
    if args.format == "markdown":
        print(render_markdown(board))
        return 0
    console.print()
    render_rich(board, console)
    console.print(run_summary(store.info()))
    return 0


def show_leaderboard(store, fmt: str = "table", metrics: tuple[str, ...] = ()) -> None:
    from bench.results.leaderboard import boards, render_markdown, render_rich, run_summary

    if fmt == "markdown":
        print("\n".join(render_markdown(b) for b in boards(store, metrics=metrics)))
        return
    if fmt in ("csv", "json"):
        from bench.results.export import export

        sys.stdout.write(export(store, fmt))
        return
    console.print()
    for board in boards(store, metrics=metrics):
        render_rich(board, console)
    console.print(run_summary(store.run_info()))


def cmd_leaderboard(args) -> int:
    from bench.results.merge import merge_runs
    from bench.results.store import find_run

    stores = [find_run(_results_dir(args), run) for run in args.run or [None]]
    if len(stores) == 1:
        show_leaderboard(stores[0], args.format, tuple(args.metric))
        return 0
    merged = merge_runs(stores)
    out = console if args.format in ("table", "markdown") else Console(stderr=True)
    for line in merged.warnings:
        out.print(f"[yellow]warning:[/] {line}")
    for line in merged.notes:
        out.print(f"[italic]note:[/] {line}")
    show_leaderboard(merged, args.format, tuple(args.metric))
    return 0


def cmd_plugins(args) -> int:
    from bench.registry import load_registry

    registry = load_registry(args.plugin)
    table = Table(title="Plugins (entry-point group 'bench')", title_justify="left")
    for column in ("plugin", "provides", "origin", "version"):
        table.add_column(column)
    for info in registry.plugins:
        provides = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in info.provides.items())
        table.add_row(info.name, provides, info.origin, info.version)
    for broken in registry.broken:
        table.add_row(
            broken.entry_point.split(" = ")[0], f"[red]broken:[/] {broken.error}", broken.distribution, broken.version
        )
    console.print(table)
    return 0


def cmd_validate(args) -> int:
    from bench.cli.validate import validate
    from bench.features.cache import default_cache_dir
    from bench.profiles import get_profile
    from bench.registry import load_registry

    source = load_registry(args.plugin).get("source", args.source)
    options = {
        **_source_options(args),
        "profile": get_profile(args.profile).replace(**window_overrides(args.window_seconds, args.hop_seconds)),
        "cache_dir": args.cache_dir or default_cache_dir(),
        "targets": args.target or [],
    }
    return validate(source, options, args.short, args.checksums, args.checksum_file, console)


def cmd_cache(args) -> int:
    from bench.features.cache import FeatureCache, default_cache_dir

    cache = FeatureCache(args.cache_dir or default_cache_dir())
    if args.action == "clear":
        cache.clear()
        console.print(f"Cleared {cache.root}")
        return 0
    if args.action == "prune":
        if args.older_than is None and args.max_size is None:
            raise SystemExit("bench cache prune: say what to prune: --older-than DAYS and/or --max-size GIB")
        max_bytes = None if args.max_size is None else int(args.max_size * 2**30)
        removed, freed = cache.prune(args.older_than, max_bytes)
        console.print(f"Pruned {removed} feature entries ({freed / 2**20:.1f} MiB) from {cache.root}")
        return 0
    info = cache.info()
    table = Table(title=f"Feature cache at {cache.root}", title_justify="left")
    for column in ("area", "files", "MiB"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for area, entry in info.items():
        table.add_row(area, str(entry["files"]), f"{entry['bytes'] / 2**20:.1f}")
    total = sum(e["bytes"] for e in info.values())
    table.add_row("[bold]total[/]", str(sum(e["files"] for e in info.values())), f"[bold]{total / 2**20:.1f}[/]")
    console.print(table)
    return 0


def cmd_report(args) -> int:
    from bench.results.report import write_report
    from bench.results.store import find_run

    paths = write_report(find_run(_results_dir(args), args.run), tuple(args.metric))
    console.print(f"Report: {paths['html']} (self-contained) and {paths['markdown']} (figures in {paths['figures']})")
    return 0


def cmd_compare(args) -> int:
    from bench.results.compare import compare_runs
    from bench.results.store import find_run

    a, b = (find_run(_results_dir(args), run) for run in (args.run_a, args.run_b))
    comparison = compare_runs(a, b, args.fail_if_worse, console)
    return 1 if comparison.regressions else 0


def cmd_check_plugin(args) -> int:
    from bench.cli.check_plugin import check_plugin, render
    from bench.profiles import get_profile
    from bench.registry import load_registry

    kind, results = check_plugin(load_registry(args.plugin), args.name, get_profile(args.profile))
    return 0 if render(args.name, results, console, kind) else 1


def cmd_predict(args) -> int:
    from bench.cli.predict import rate
    from bench.results.store import find_run

    store = find_run(_results_dir(args), args.run)
    record = store.read_record(args.trial) or {}
    table = Table(title=f"{record.get('target', '?')} predicted by {args.trial} (run {store.id})", title_justify="left")
    for column in ("file", "song", "per window"):
        table.add_column(column)
    for rating in rate(store, args.trial, args.files):
        table.add_row(rating.path, f"{rating.song:.4f}", " ".join(f"{v:.3f}" for v in rating.windows))
    console.print(table)
    return 0


COMMANDS = {
    "predict": cmd_predict,
    "run": cmd_run,
    "prepare": cmd_prepare,
    "hearing": cmd_hearing,
    "tune": cmd_tune,
    "leaderboard": cmd_leaderboard,
    "plugins": cmd_plugins,
    "cache": cmd_cache,
    "report": cmd_report,
    "compare": cmd_compare,
    "check-plugin": cmd_check_plugin,
    "validate": cmd_validate,
}


def _registry_for(argv: list[str]):
    """The plugin registry (with --plugin modules) when the command reads a source, else None:
    loading it imports every plugin, which only those commands need before parsing."""
    from bench.cli.options import preparse

    command, plugins = preparse(argv)
    if command not in SOURCE_COMMANDS:
        return None
    from bench.registry import load_registry

    return load_registry(plugins)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    try:
        parser = build_parser(_registry_for(sys.argv[1:] if argv is None else argv))
    except Exception as exc:  # a plugin that cannot load, or two plugins' flags that clash
        console.print(f"[red]error:[/] {exc}")
        return 1
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt as stop:
        what = "Terminated" if isinstance(stop, Terminated) else "Interrupted"
        console.print(f"[yellow]{what}.[/] Finished work is saved; continue with `bench run --resume RUN_ID`.")
        return 143 if isinstance(stop, Terminated) else 130
    except Exception as exc:
        if args.verbose:
            console.print_exception()
        console.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: workers stopped, finished work kept, a clean message."""


def _terminate(signum, frame) -> None:
    raise Terminated()


if __name__ == "__main__":
    sys.exit(main())
