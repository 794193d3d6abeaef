"""The `bench` command line: run, leaderboard, plugins, cache.

Errors print as one line saying what went wrong and where; `--verbose` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import __version__
from bench.profiles import DEFAULT_PROFILE, PROFILES

console = Console()
DEFAULT_SPLITS = ["window", "song", "artist"]


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="build features, train every model on every split, print the leaderboard")
    p.add_argument("--all", action="store_true", help="every registered model on the default splits (window, song, artist)")
    p.add_argument("--model", action="append", metavar="NAME", help="a model name or glob (repeatable); default: all")
    p.add_argument("--split", action="append", metavar="NAME", help=f"a split name or glob (repeatable); default: {', '.join(DEFAULT_SPLITS)}")
    p.add_argument("--seeds", type=int, default=3, help="seeds per cell: weights, shuffling and the split itself (default 3)")
    p.add_argument("--folds", type=int, help="grouped k-fold cross-validation with K folds instead of one hold-out split")
    p.add_argument("--target", action="append", metavar="LABEL", help="label column(s) to predict (default: danceability)")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="sizes of windows, features and models")
    p.add_argument("--epochs", type=int, help="override the profile's maximum epochs")
    p.add_argument("--batch-size", type=int, help="override the profile's batch size")
    p.add_argument("--optimizer", choices=["adam", "sgd"], help="override the profile's optimizer")
    p.add_argument("--loss", choices=["mae", "mse"], help="override the profile's loss")
    p.add_argument("--learning-rate", type=float, help="override the profile's learning rate")
    p.add_argument("--normalization", choices=["paper", "zscore", "none"], help="feature normalisation per window")
    p.add_argument("--source", default="synthetic", help="data source plugin (default: synthetic)")
    p.add_argument("--songs", type=int, help="synthetic: number of songs")
    p.add_argument("--seconds", type=float, help="synthetic: seconds per song")
    p.add_argument("--corpus-seed", type=int, help="synthetic: the corpus's own seed (default 0)")
    p.add_argument("--short", choices=["pad", "drop"], default="pad", help="clips shorter than a window: zero-pad (default) or drop")
    p.add_argument("--aggregate", choices=["mean", "median"], default="mean", help="window-to-song aggregation")
    p.add_argument("--jobs", type=int, default=0, help="trials (and feature workers) at a time (default: one per CPU)")
    p.add_argument("--executor", choices=["process", "inline", "ray"], default="process", help="where trials run")
    p.add_argument("--address", help="Ray cluster address (with --executor ray)")
    p.add_argument("--save-models", action="store_true", help="save each trial's trained model next to its record")
    p.add_argument("--resume", metavar="RUN_ID", help="finish an interrupted run: run only the trials it lacks")
    _add_common(p)


def _add_common(p) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE", help="import one more plugin module")
    p.add_argument("--results-dir", type=Path, help="where runs live (default: ./results or $AFB_RESULTS_DIR)")
    p.add_argument("--cache-dir", type=Path, help="feature cache (default: ~/.cache/audio-feature-bench or $AFB_CACHE_DIR)")
    p.add_argument("--verbose", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description="Benchmark CNNs that predict audio features from raw audio.")
    parser.add_argument("--version", action="version", version=f"audio-feature-bench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    p = sub.add_parser("leaderboard", help="render an earlier run's leaderboard from disk")
    p.add_argument("run", nargs="?", help="run id, unique prefix or folder (default: the latest)")
    p.add_argument("--format", choices=["table", "markdown"], default="table")
    _add_common(p)
    p = sub.add_parser("plugins", help="list every plugin, what it provides, its origin and version")
    _add_common(p)
    p = sub.add_parser("cache", help="show or clear the feature cache")
    p.add_argument("action", choices=["info", "clear"])
    _add_common(p)
    return parser


def _config(args):
    from bench.runner import RunConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "optimizer", "loss", "learning_rate", "normalization")}
    source_options = {"songs": args.songs, "seconds": args.seconds, "corpus_seed": args.corpus_seed}
    return RunConfig(
        source=args.source,
        source_options={k: v for k, v in source_options.items() if v is not None},
        models=[] if args.all and not args.model else (args.model or []),
        splits=args.split or DEFAULT_SPLITS,
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
        cache_dir=str(args.cache_dir or ""),
        results_dir=str(args.results_dir or ""),
    )


def _results_dir(args) -> Path:
    from bench.results import default_results_dir

    return args.results_dir or default_results_dir()


def cmd_run(args) -> int:
    from bench.runner import run

    if not (args.all or args.model or args.resume):
        raise SystemExit("bench run: say what to run: --all, or --model NAME (repeatable), or --resume RUN_ID")
    store = run(_config(args), console, resume=args.resume)
    show_leaderboard(store)
    return 0


def show_leaderboard(store, fmt: str = "table") -> None:
    from bench.leaderboard import boards, render_markdown, render_rich, run_summary

    if fmt == "markdown":
        print("\n".join(render_markdown(b) for b in boards(store)))
        return
    console.print()
    for board in boards(store):
        render_rich(board, console)
    console.print(run_summary(store.info()))


def cmd_leaderboard(args) -> int:
    from bench.results import find_run

    show_leaderboard(find_run(_results_dir(args), args.run), args.format)
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
    console.print(table)
    return 0


def cmd_cache(args) -> int:
    from bench.cache import FeatureCache, default_cache_dir

    cache = FeatureCache(args.cache_dir or default_cache_dir())
    if args.action == "clear":
        cache.clear()
        console.print(f"Cleared {cache.root}")
        return 0
    table = Table(title=f"Feature cache at {cache.root}", title_justify="left")
    for column in ("area", "files", "MiB"):
        table.add_column(column)
    for area, entry in cache.info().items():
        table.add_row(area, str(entry["files"]), f"{entry['bytes'] / 2**20:.1f}")
    console.print(table)
    return 0


COMMANDS = {"run": cmd_run, "leaderboard": cmd_leaderboard, "plugins": cmd_plugins, "cache": cmd_cache}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted.[/] Finished trials are saved; continue with `bench run --resume RUN_ID`.")
        return 130
    except Exception as exc:
        if args.verbose:
            console.print_exception()
        console.print(f"[red]error:[/] {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
