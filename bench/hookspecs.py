"""The eight hooks a plugin may implement, one per kind of plugin.

Each hook is called once, when the plugin manager collects the registry at start-up, takes
no arguments and returns a list of spec records (see `bench.specs`). A plugin module
implements any subset:

    from bench import hookimpl
    from bench.specs import MetricSpec

    @hookimpl
    def bench_metrics():
        return [MetricSpec("max-error", "largest absolute error", max_error, higher_is_better=False)]

and registers itself in its `pyproject.toml`:

    [project.entry-points.bench]
    my_plugin = "my_package.my_module"
"""

from __future__ import annotations

import pluggy

from bench.specs import (
    AugmentationSpec,
    CommandSpec,
    FeatureSpec,
    FrameworkSpec,
    MetricSpec,
    ModelSpec,
    SourceSpec,
    SplitSpec,
)

PROJECT = "bench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def bench_sources() -> list[SourceSpec]:
    """Data sources this plugin offers.

    Called once at start-up. Returns SourceSpec records; `load(options)` is called when a run
    or `bench validate` uses the source and must return a Catalog without decoding audio.
    Example: `return [SourceSpec("folder", "your clips + a CSV", load_folder)]`.
    """


@hookspec
def bench_features() -> list[FeatureSpec]:
    """Feature transforms this plugin offers.

    Called once at start-up. Returns FeatureSpec records; `compute(window, profile)` is called
    once per stereo window (shape (2, samples)) and its output is cached on disk.
    Example: `return [FeatureSpec("mel", "mid/side log-mel", "1", mel, mel_shape)]`.
    """


@hookspec
def bench_models() -> list[ModelSpec]:
    """Models this plugin offers.

    Called once at start-up. Returns ModelSpec records; `build(input_shape, profile)` is
    called once per trial, inside the trial's process, after the random seed is set.
    Example: `return [ModelSpec("crnn", "conv + GRU on mel", "mel", build_crnn)]`.
    """


@hookspec
def bench_metrics() -> list[MetricSpec]:
    """Metrics this plugin offers.

    Called once at start-up. Returns MetricSpec records; `compute(y_true, y_pred)` is called
    on window-level and on song-level predictions of every trial.
    Example: `return [MetricSpec("mae", "mean absolute error", mae, higher_is_better=False)]`.
    """


@hookspec
def bench_splits() -> list[SplitSpec]:
    """Train/test splits this plugin offers.

    Called once at start-up. Returns SplitSpec records; `make(windows, seed, folds,
    test_fraction)` is called once per (split, seed) and returns the folds.
    Example: `return [SplitSpec("song", "no song on both sides", song_split)]`.
    """


@hookspec
def bench_frameworks() -> list[FrameworkSpec]:
    """Model frameworks this plugin adds (the built-in keras and sklearn come the same way).

    Called once at start-up. Returns `bench.specs.FrameworkSpec` records; each names a
    `bench.frameworks.Framework` subclass that builds, trains, predicts with, saves, loads,
    counts and checks the models whose ModelSpec has `framework=` that name. A model naming a
    framework nobody registered is refused when the registry is collected.
    Example: `return [FrameworkSpec("lightgbm", "gradient-boosted trees", LightGBMFramework)]`.
    """


@hookspec
def bench_augmentations() -> list[AugmentationSpec]:
    """Training-window augmentations this plugin offers (`bench run --augment NAME`).

    Called once at start-up. Returns AugmentationSpec records; `apply[feature](batch, rng,
    profile)` is called inside a trial on every training batch of every epoch, on the raw
    features before normalisation; validation and test windows are never augmented.
    Example: `return [AugmentationSpec("gain", "±6 dB", {"wav": gain}, refuses={"energy": "..."})]`.
    """


@hookspec
def bench_commands() -> list[CommandSpec]:
    """`bench` subcommands this plugin adds (the core's own come the same way).

    Called once at start-up, before the command line is parsed. Returns CommandSpec records;
    `add_arguments(parser)` is called on the command's parser, and `run(args)` when it is chosen.
    Example: `return [CommandSpec("hearing", "which cue each model hears", add_flags, hearing)]`.
    """
