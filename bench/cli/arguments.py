"""Argument groups the commands share, and the run configuration built from them."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.profiles import DEFAULT_PROFILE, PROFILES, window_overrides
from bench.trial.normalization import MODES as NORMALIZATION_MODES


def add_run_arguments(p: argparse.ArgumentParser, augment: bool = True) -> None:
    """The flags of `bench run`, shared by the commands that run trials (tune, hearing)."""
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
    add_window(p)
    p.add_argument(
        "--normalization",
        choices=NORMALIZATION_MODES,
        help="feature normalisation of the networks' inputs: per window (paper, zscore), none, or train-fitted",
    )
    add_source(p)
    add_short(p)
    p.add_argument("--aggregate", choices=["mean", "median"], default="mean", help="window-to-song aggregation")
    p.add_argument("--jobs", type=int, default=0, help="trials (and feature workers) at a time (default: one per CPU)")
    p.add_argument("--executor", choices=["process", "inline", "ray"], default="process", help="where trials run")
    p.add_argument("--address", help="Ray cluster address (with --executor ray)")
    p.add_argument("--save-models", action="store_true", help="save each trial's trained model next to its record")
    p.add_argument(
        "--trial-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a trial that runs longer and record it as timed out (default: 3 h quick, 7 days paper; 0: none)",
    )
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
    if augment:
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


def add_window(p) -> None:
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


def add_short(p) -> None:
    p.add_argument(
        "--short",
        choices=["pad", "drop"],
        default="pad",
        help="clips shorter than a window: zero-pad (default; under half a window they are dropped) or drop",
    )


def add_source(p) -> None:
    p.add_argument(
        "--source",
        default="synthetic",
        help="data source plugin (default: synthetic); each source's own flags are listed below",
    )


def add_metric(p) -> None:
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="add a column with this metric's song-level values (a plugin's, or rmse, spearman; repeatable)",
    )


def add_common(p) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE", help="import one more plugin module")
    p.add_argument("--results-dir", type=Path, help="where runs live (default: ./results or $AFB_RESULTS_DIR)")
    p.add_argument(
        "--cache-dir", type=Path, help="feature cache (default: ~/.cache/audio-feature-bench or $AFB_CACHE_DIR)"
    )
    p.add_argument("--verbose", action="store_true", help="show tracebacks")


def source_options(args: argparse.Namespace) -> dict:
    """The chosen source's own flags (bench.cli.options); a flag of another source is an error."""
    from bench.cli import options
    from bench.registry import load_registry

    return options.source_options(args, load_registry(args.plugin), args.source)


def run_config(args: argparse.Namespace):
    from bench.pipeline.config import RunConfig
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
        source_options=source_options(args),
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
        trial_timeout=args.trial_timeout,
        augment=[list(variant) for variant in parse_variants(getattr(args, "augment", None))],
        cache_dir=str(args.cache_dir or ""),
        results_dir=str(args.results_dir or ""),
    )
    config.resolved_profile()  # a bad override (--hop-seconds 0) stops here, before a run folder exists
    return config


def results_dir(args: argparse.Namespace) -> Path:
    from bench.results.store import default_results_dir

    return args.results_dir or default_results_dir()
