"""The records plugins hand to the harness: one frozen dataclass per kind of plugin.

Each record names a thing (unique across all plugins of its kind), says in one line what it
is, and carries the callables the runner needs. Plugins return lists of these from the hooks
in `bench.hookspecs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.profiles import Knob, Profile


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Track:
    """One song: where its audio is, who made it (the group splits respect), and its labels."""

    id: str
    group: str
    path: Path
    labels: dict[str, float]
    official_split: str | None = None  # a dataset's own split ("training"/"validation"/"test")


@dataclass(frozen=True)
class Target:
    """A label column: its name and the range used to scale it into the sigmoid's 0..1.
    `observed`: the range is the labels' own min..max rather than a documented one, so each
    trial takes it from its training songs alone (`fitted_on`)."""

    name: str
    low: float = 0.0
    high: float = 1.0
    observed: bool = False

    def fitted_on(self, values: np.ndarray) -> Target:
        """An observed range re-taken from `values` (the training labels); a documented one as it is."""
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if not self.observed or not len(values):
            return self
        low, high = float(values.min()), float(values.max())
        return replace(self, low=low, high=high if high > low else low + 1.0)

    def scale(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.low) / (self.high - self.low)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * (self.high - self.low) + self.low


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input, found while reading a source or decoding a file."""

    where: str  # a file path or "labels.csv row 12"
    what: str  # one line: what is wrong
    action: str = "skipped"  # what the harness did about it: "skipped", "padded", "kept", "fatal"


@dataclass
class Catalog:
    """What a source yields: tracks (audio not yet decoded), the targets it offers, problems."""

    tracks: list[Track]
    targets: dict[str, Target]
    problems: list[Problem] = field(default_factory=list)
    description: str = ""


# ---------------------------------------------------------------------------- specs
OPTION_TYPES = (str, int, float, bool, Path)


@dataclass(frozen=True)
class OptionSpec:
    """A command-line flag a plugin declares: `--NAME` on the command line, NAME with dashes
    turned into underscores as the key of the options its plugin receives (`audio-dir` ->
    `audio_dir`). `type` is str, int, float, bool (a switch) or Path (resolved to an absolute
    path and passed as a string, so a resumed run finds it from any folder). `default` is what
    the plugin receives when the flag is not given; None leaves the key out."""

    name: str
    help: str
    type: type = str
    default: Any = None
    choices: tuple | None = None
    metavar: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", self.name):
            raise ValueError(
                f"option {self.name!r}: a name is lower-case words joined by dashes, without the leading --"
                " (for example 'audio-dir')"
            )
        if self.type not in OPTION_TYPES:
            names = ", ".join(t.__name__ for t in OPTION_TYPES)
            raise ValueError(f"option {self.name!r}: type must be one of {names}. Received: {self.type!r}")

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def key(self) -> str:
        return self.name.replace("-", "_")

    def meaning(self) -> tuple:
        """What two declarations of one flag must agree on to share it (the help may differ)."""
        return (self.type, self.default, tuple(self.choices or ()))


@dataclass(frozen=True)
class SourceSpec:
    """A data source. `load(options)` returns a Catalog; options hold the values of the flags
    the source declares in `options` (keyed `audio_dir` for `--audio-dir`; absent when not
    given and without a default), plus `profile`, `cache_dir` and `targets`, the label columns
    the run predicts (a source may apply rules per target). `profile` carries the values of the
    source's `knobs` (`bench.profiles.Knob`: settings with a value per profile)."""

    name: str
    description: str
    load: Callable[[dict[str, Any]], Catalog]
    options: tuple[OptionSpec, ...] = ()
    knobs: tuple[Knob, ...] = ()


@dataclass(frozen=True)
class FeatureSpec:
    """A feature transform from one stereo window (2, samples) at profile.sample_rate to a
    float32 array of `shape(profile)`. Bump `version` whenever the output would change.

    `profile_fields` names the Profile fields `compute` and `shape` read besides the window's
    own (sample_rate, window_seconds, hop_seconds, and window_samples/hop_samples derived from
    them): the cache key hashes exactly those, and reading any other field raises, so the key
    can never miss one. None (the default) lets a transform read every field and keys it on
    all of them, training knobs included.

    `time_axis` is the axis of a row that runs over time (None: the feature does not say); a
    feature that declares it gets a probe floor (bench_plugins.models.floors.probe_spec).

    `knobs` are the feature's own settings with a value per profile (`bench.profiles.Knob`),
    read as `profile.knob(NAME)` in `compute` and `shape`; the cache key hashes their values.
    `inputs(profile)` maps names to the `bench.intermediates` records the transform derives
    from (a channel at a rate, an STFT, a mel power): each is computed once per window for
    every feature that declares it, and `compute(window, profile, arrays)` gets arrays[name]
    for each name. The records are part of the cache key. None (the default): `compute(window,
    profile)` alone."""

    name: str
    description: str
    version: str
    compute: Callable[..., np.ndarray]
    shape: Callable[[Profile], tuple[int, ...]]
    profile_fields: tuple[str, ...] | None = None
    time_axis: int | None = None
    knobs: tuple[Knob, ...] = ()
    inputs: Callable[[Profile], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model. `build(input_shape, profile)` returns what its framework's adapter drives
    (`bench.frameworks`): an uncompiled keras.Model with a sigmoid output for "keras", an
    unfitted scikit-learn regressor (fed flattened features) for "sklearn", or what a plugin's
    own framework expects. A framework no plugin registered is refused at registration.
    Baselines are drawn as reference rows on leaderboards. `search_space` maps Profile fields
    to Optuna distributions for `bench tune` (None: bench.pipeline.tuning's default for keras models).
    An `opt_in` model runs only when a `--model` pattern names it, never as part of "every
    model" (`--all`, or no `--model`), so an experiment does not grow the default run.
    `jit_compile` asks for XLA-compiled training and prediction steps on TensorFlow (JAX always
    compiles; other backends ignore it): each model's own choice, made by measurement, since on
    a CPU with oneDNN kernels it sped none of the built-in CNNs up (docs/performance.md).
    `targets` names the only targets the model can predict (a pretrained tempo network: only
    "tempo"); a run plans it for no other target and refuses one that leaves it none. None
    (the default): any target.
    `probe_for` names the feature a probe floor summarises (bench_plugins.models.floors): the
    models reading that feature are compared with it.
    `knobs` are the model's own settings with a value per profile (`bench.profiles.Knob`: a
    kernel size, a number of slices): the profile its framework hands `build` carries their
    values (`profile.knob(NAME)`), and run.json's model_code records them."""

    name: str
    description: str
    feature: str
    build: Callable[[tuple[int, ...], Profile], Any]
    framework: str = "keras"
    baseline: bool = False
    search_space: dict[str, Any] | None = None
    opt_in: bool = False
    jit_compile: bool = False
    targets: tuple[str, ...] | None = None
    probe_for: str | None = None
    knobs: tuple[Knob, ...] = ()

    def predicts(self, target: str) -> bool:
        """Whether the model can be trained and scored on `target`."""
        return self.targets is None or target in self.targets


@dataclass(frozen=True)
class MetricSpec:
    """A score of predictions against truth, both 1-D arrays in the target's own units.
    `targets` names the only targets it means something for (tempo accuracies: "tempo"): it
    is computed on their trials alone and gets a column on their score boards. None (the
    default): every target, a column only when asked for (`--metric`). The `primary` metric
    (one per run; R² when none says so) ranks the boards and gets intervals."""

    name: str
    description: str
    compute: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool
    targets: tuple[str, ...] | None = None
    primary: bool = False

    def applies_to(self, target: str) -> bool:
        """Whether the metric is computed on trials of `target`."""
        return self.targets is None or target in self.targets


@dataclass(frozen=True)
class WindowTable:
    """Per-window facts a split may group by (arrays of equal length, one entry per window)."""

    track: np.ndarray
    group: np.ndarray
    official_split: np.ndarray

    def __len__(self) -> int:
        return len(self.track)


@dataclass(frozen=True)
class Fold:
    """Window indices for training and testing. Validation (for early stopping) is carved from
    train by the split's own rule unless the split brings its own (an official one)."""

    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray | None = None


@dataclass(frozen=True)
class SplitSpec:
    """A way to split windows. `make(windows, seed, folds, test_fraction)` returns the folds:
    one Fold for a hold-out split (folds is None), `folds` Folds for cross-validation.
    `leaky` says whether windows of one song may sit on both sides; `official` marks a split
    that follows the source's own sets (Track.official_split), run by default only when the
    source has them; `supports_folds` is False for a split that cannot cross-validate."""

    name: str
    description: str
    make: Callable[[WindowTable, int, int | None, float], Sequence[Fold]]
    leaky: bool = False
    official: bool = False
    supports_folds: bool = True


AugmentFn = Callable[[np.ndarray, np.random.Generator, Profile], np.ndarray]


@dataclass(frozen=True)
class AugmentationSpec:
    """A label-keeping change to training windows, drawn afresh for every batch of every epoch
    (`bench run --augment NAME`); validation and test windows, and the cache, stay clean.

    `apply` maps a feature name (or "*" for any feature) to `fn(batch, rng, profile)`: a batch
    of that feature's raw, unnormalised windows (windows, *row_shape) float32 in, the same
    shape and dtype out; all randomness comes from `rng`, so a trial's seed reproduces it.
    `refuses` maps a target name to why the augmentation would falsify that label (gain
    changes loudness, so it refuses `energy` and `loudness`): asking for one is an error
    before the run starts. Any other target is taken to be kept valid."""

    name: str
    description: str
    apply: Mapping[str, AugmentFn]
    refuses: Mapping[str, str] = field(default_factory=dict)

    def for_feature(self, feature: str) -> AugmentFn | None:
        """The function that augments `feature`'s windows, or None if this augmentation has none."""
        return self.apply.get(feature, self.apply.get("*"))


Spec = SourceSpec | FeatureSpec | ModelSpec | MetricSpec | SplitSpec | AugmentationSpec
SpecList = Iterable[Spec]


@dataclass(frozen=True)
class CommandSpec:
    """A `bench` subcommand: `add_arguments(parser)` puts its flags on its argparse parser and
    `run(args)` does the work and returns the exit code. With `reads_source`, the parser also
    gets every source's own flags (see `bench.cli.arguments` for the run flags to reuse)."""

    name: str
    description: str
    add_arguments: Callable[[Any], None]
    run: Callable[[Any], int]
    reads_source: bool = False


@dataclass(frozen=True)
class FrameworkSpec:
    """A model framework a plugin adds: ModelSpec(framework=NAME) models are driven by
    `adapter`, a Framework subclass (instantiated without arguments)."""

    name: str
    description: str
    adapter: type  # a bench.frameworks.Framework subclass
