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
        "--seeds",
        type=seed_count,
        default=3,
        help="seeds per cell: weights, shuffling and the split itself (default 3); auto: 3, then one more at a time "
        "for each model row whose paired interval against the mean baseline still includes 0 (up to --max-seeds)",
    )
    p.add_argument(
        "--max-seeds", type=int, metavar="N", help="with --seeds auto: the seed budget of each model row (default 8)"
    )
    p.add_argument(
        "--split-seed",
        type=int,
        metavar="N",
        help="draw the split (test and validation songs) with seed N for every seed, so the seeds vary only "
        "weights and shuffling: a cell's spread is then its training's own, on the same test songs",
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
    add_train_hop(p)
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
        "--log-to",
        action="append",
        choices=["mlflow", "tensorboard"],
        help="also log every trial to MLflow ($MLFLOW_TRACKING_URI, else results/mlflow.db) or TensorBoard "
        "(<run>/tensorboard/); repeatable. docs/tracking.md",
    )
    p.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="finish an interrupted run: run the trials it lacks, retry its failed ones; with --model (and --plugin), "
        "also add those models to it: their trials run on the run's data, splits, seeds and targets ('adding N trials "
        "for model X')",
    )
    add_trust_run(p)


def add_trust_run(p) -> None:
    p.add_argument(
        "--trust-run",
        action="store_true",
        help="import the plugin files and modules the run's run.json names even though this machine did not create "
        "the run (only for a folder whose author you trust: a plugin is code)",
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


def add_train_hop(p) -> None:
    p.add_argument(
        "--train-hop-seconds",
        type=float,
        metavar="S",
        help="also train on windows every S seconds (a divisor of the hop): more training data from the same "
        "songs; splits, validation and test keep the hop's own windows",
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
        help="add a column with this metric's song-level values (a plugin's, or rmse, spearman; repeatable); one the "
        "run did not record is computed from its stored song predictions (installed plugins and --plugin only)",
    )


def add_table(p) -> None:
    """--columns and --wide: which board columns a terminal shows."""
    p.add_argument(
        "--columns",
        type=lambda text: [c for c in text.split(",") if c.strip()],
        metavar="A,B,C",
        help="show these score-board columns (keys or headers: model, split, score, ci, vs-mean, mae, window ...)",
    )
    p.add_argument(
        "--wide", action="store_true", help="every column at full width (the default when stdout is not a terminal)"
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


def seed_count(text: str) -> int | str:
    """--seeds: a number, or "auto" (bench.pipeline.seeding)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or auto. Received: {text!r}") from None


def run_config(args: argparse.Namespace):
    from bench.pipeline.config import RunConfig
    from bench.pipeline.seeding import DEFAULT_MAX_SEEDS, START_SEEDS
    from bench.trial.augment import parse_variants

    auto = args.seeds == "auto"
    if args.max_seeds is not None and not auto:
        raise ValueError("--max-seeds is the budget of --seeds auto: pass --seeds auto too")

    overrides = {
        **{
            k: getattr(args, k)
            for k in ("epochs", "patience", "batch_size", "optimizer", "loss", "learning_rate", "normalization")
        },
        **window_overrides(args.window_seconds, args.hop_seconds, args.train_hop_seconds),
    }
    config = RunConfig(
        source=args.source,
        source_options=source_options(args),
        models=[] if args.all and not args.model else (args.model or []),
        splits=args.split or [],
        seeds=START_SEEDS if auto else args.seeds,
        max_seeds=(args.max_seeds or DEFAULT_MAX_SEEDS) if auto else None,
        split_seed=args.split_seed,
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
        log_to=getattr(args, "log_to", None) or [],
        augment=[list(variant) for variant in parse_variants(getattr(args, "augment", None))],
        cache_dir=str(args.cache_dir or ""),
        results_dir=str(args.results_dir or ""),
        name=getattr(args, "name", None) or "",
        tags=parse_tags(getattr(args, "tag", None) or []),
    )
    config.resolved_profile()  # a bad override (--hop-seconds 0) stops here, before a run folder exists
    return config


def results_dir(args: argparse.Namespace) -> Path:
    from bench.results.store import default_results_dir

    return args.results_dir or default_results_dir()


# Experiments as files: every long flag of `bench run` is a key (dashes become underscores),
# a repeatable flag takes a list; `--from RUN` starts from a run's configuration.
NOT_KEYS = ("help", "config", "from")


def parse_tags(items: list[str]) -> dict[str, str]:
    """`--tag key=value` items as a dict (ValueError naming an item without "=")."""
    tags = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--tag {item!r}: write it as key=value")
        tags[key] = value
    return tags


def add_experiment(p: argparse.ArgumentParser) -> None:
    """--config FILE, --from RUN (command-line flags override both), --name and --tag."""
    p.add_argument("--name", help="a name for the run: every command that takes a RUN accepts it")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE", help="label the run (repeatable; `bench runs`)")
    p.add_argument("--config", type=Path, metavar="FILE", help="read flags from a TOML file (keys: long flags)")
    p.add_argument("--from", dest="from_run", metavar="RUN", help="repeat RUN's configuration (flags override it)")
    p.set_defaults(command_parser=p)


def flag_actions(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Key (long flag, dashes as underscores) -> its action, for every flag a file may set."""
    keys = {}
    for action in p._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if long and long[0][2:] not in NOT_KEYS:
            keys[long[0][2:].replace("-", "_")] = action
    return keys


def read_config(path: Path | str) -> dict:
    """A TOML experiment file as a dict (ValueError naming the file when it is not TOML)."""
    import tomllib

    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None


def check_keys(p: argparse.ArgumentParser, values: dict, where: str) -> dict[str, argparse.Action]:
    """ValueError naming every key that is no flag, or a value a flag cannot take."""
    actions = flag_actions(p)
    unknown = sorted(k for k in values if k not in actions)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)}; keys are the long flags of `bench run` with dashes as "
            f"underscores ({', '.join(sorted(actions))})"
        )
    for key, value in values.items():
        action = actions[key]
        repeatable = isinstance(action, argparse._AppendAction)
        if isinstance(value, list) and not repeatable:
            raise ValueError(f"{where}: {key} takes one value, not a list")
        for item in value if isinstance(value, list) else [value]:
            if action.choices and item not in action.choices:
                raise ValueError(f"{where}: {key} = {item!r}; choose from {', '.join(map(str, action.choices))}")
    return actions


def with_experiment(args: argparse.Namespace, argv: list[str]) -> argparse.Namespace:
    """`args` with `--from RUN`'s configuration, then `--config FILE`'s keys, under the flags
    `argv` (the command's own arguments) gives."""
    p = getattr(args, "command_parser", None)
    if p is None or not (getattr(args, "from_run", None) or getattr(args, "config", None)):
        return args
    values: dict = {}
    if args.from_run:
        from bench.results.store import find_run

        values.update(config_flags(find_run(results_dir(args), args.from_run).info()["config"]))
    if args.config:
        values.update(read_config(args.config))
    actions = check_keys(p, values, str(args.config or f"run {args.from_run}"))
    saved = {a.dest: a.default for a in p._actions}
    try:
        for key, value in values.items():
            action = actions[key]
            repeatable = isinstance(action, argparse._AppendAction)
            action.default = None if repeatable else value  # a repeated flag on the command line replaces the list
        fresh = p.parse_args(argv)
    finally:
        for action in p._actions:
            action.default = saved[action.dest]
    for key, value in values.items():
        action = actions[key]
        if isinstance(action, argparse._AppendAction) and getattr(fresh, action.dest) is None:
            setattr(fresh, action.dest, list(value) if isinstance(value, list) else [value])
    for action in p._actions:
        if isinstance(action, argparse._AppendAction) and getattr(fresh, action.dest, None) is None:
            setattr(fresh, action.dest, saved[action.dest])
    fresh.command_argv = argv
    return fresh


def config_flags(config: dict) -> dict:
    """A run's stored RunConfig as `bench run` keys (what `bench config` prints, `--from` reads)."""
    overrides = config.get("overrides") or {}
    flags = {
        "source": config.get("source"),
        **(config.get("source_options") or {}),
        "all": not config.get("models"),
        "model": config.get("models") or None,
        "split": config.get("splits") or None,
        "seeds": "auto" if config.get("max_seeds") else config.get("seeds"),
        "max_seeds": config.get("max_seeds"),
        "split_seed": config.get("split_seed"),
        "folds": config.get("folds"),
        "target": config.get("targets") or None,
        "profile": config.get("profile"),
        **{k: overrides.get(k) for k in ("epochs", "patience", "batch_size", "optimizer", "loss", "learning_rate")},
        "normalization": overrides.get("normalization"),
        "window_seconds": overrides.get("window_seconds"),
        "hop_seconds": overrides.get("hop_seconds"),
        "train_hop_seconds": overrides.get("train_hop_seconds"),
        "short": config.get("short_policy"),
        "aggregate": config.get("aggregate"),
        "jobs": config.get("jobs"),
        "executor": config.get("executor"),
        "address": config.get("address"),
        "save_models": config.get("save_models"),
        "deterministic": config.get("deterministic"),
        "mixed_precision": config.get("mixed_precision"),
        "augment": [",".join(v) for v in config.get("augment") or ()] or None,
        "plugin": config.get("plugins") or None,
        "log_to": config.get("log_to") or None,
    }
    return {k: v for k, v in flags.items() if v is not None and v is not False}


def to_toml(values: dict) -> str:
    """Flat keys (strings, numbers, booleans, lists of them) as TOML that `--config` reads."""
    import json

    def literal(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, list):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string

    return "".join(f"{key} = {literal(value)}\n" for key, value in values.items())


def flags_argv(values: dict) -> list[str]:
    """`bench run` arguments for a dict of keys (True: the flag alone; a list: the flag repeated)."""
    argv = []
    for key, value in values.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        else:
            for item in value if isinstance(value, list) else [value]:
                argv += [flag, str(item)]
    return argv
