"""One trial: a (source, feature, model, split, seed, fold, target) cell, from split to record.

`execute` never raises: whatever goes wrong (a broken plugin, an impossible shape) becomes a
failed record with the error, so the rest of the run goes on.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bench.features.extraction import view
from bench.features.grid import WindowGrid
from bench.features.reader import FeatureReader
from bench.features.stage import Dataset
from bench.files import file_name
from bench.frameworks import Framework, ModelContractError
from bench.interrupts import reraise_interruption
from bench.profiles import Profile
from bench.registry import Registry, load_registry
from bench.results.records import SongPredictions, TrialRecord
from bench.results.rescore import metric_value
from bench.results.store import RunStore
from bench.specs import Fold, SplitSpec, Target, WindowTable
from bench.trial.augment import augmenting_reader
from bench.trial.augment import label as augment_label
from bench.trial.measure import keras_backend, peak_rss_mb
from bench.trial.normalization import normalizing_reader
from bench.trial.pruning import observing

AGGREGATIONS: dict[str, Callable[..., Any]] = {"mean": np.mean, "median": np.median}
# docs/performance.md, "Paper profile on CPU": quick profile, TensorFlow, same machine and load
MIXED_PRECISION_ON_CPU = "float16 adds casts and no speed on CPU; docs/performance.md has the figures"
VALIDATION_SEED_OFFSET = 7919  # the validation carve-out must not reuse the split's own draw


@dataclass(frozen=True)
class TrialSpec:
    """Everything a trial's process needs, as plain JSON-able values."""

    run_dir: str
    source: str
    feature: str
    model: str
    split: str
    seed: int
    target: str
    profile: dict
    fold: int = 0
    folds: int | None = None
    plugins: tuple[str, ...] = ()
    aggregate: str = "mean"
    threads: int = 1
    save_model: bool = False
    # bench.pipeline.tuning: "searchN" scores configuration N on the validation windows (never test);
    # "tunedN" is the configuration chosen with a budget of N, scored on test as usual.
    tuning: str = ""
    # bench.trial.pruning: a search configuration's pruner and its study's finished configurations
    pruning: dict | None = None
    # bench.trial.augment: the augmentations applied, in order, to this trial's training batches
    augment: tuple[str, ...] = ()
    # --mixed-precision: Keras's mixed_float16 policy while the trial builds, trains and predicts
    mixed_precision: bool = False
    # --deterministic: one thread (see `threads`) and the backend's deterministic kernels
    deterministic: bool = False
    split_seed: int | None = None  # --split-seed: the split's seed, the same for every trial of the run

    @property
    def id(self) -> str:
        fold = f"--fold{self.fold}" if self.folds else ""
        tuning = f"--{self.tuning}" if self.tuning else ""
        augment = f"--aug-{augment_label(self.augment)}" if self.augment else ""
        return f"{self.target}--{self.model}--{self.feature}--{self.split}--seed{self.seed}{fold}{tuning}{augment}"

    @property
    def split_rng_seed(self) -> int:
        """The seed the split (and its validation carve) is drawn with."""
        return self.seed if self.split_seed is None else self.split_seed


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def base_record(spec: TrialSpec) -> TrialRecord:
    """The identifying part of a record, shared by finished and failed trials."""
    fields = asdict(spec)
    for private in ("run_dir", "profile", "plugins", "save_model", "pruning"):
        fields.pop(private)
    if not spec.augment:
        fields.pop("augment")  # a clean trial's record carries no augment field
    if not spec.mixed_precision:
        fields.pop("mixed_precision")  # likewise for a float32 trial
    if not spec.deterministic:
        fields.pop("deterministic")
    if spec.split_seed is None:
        fields.pop("split_seed")  # each seed drew its own split
    return TrialRecord.from_dict({"id": spec.id, "status": "running", "profile": spec.profile["name"], **fields})


def failed_record(spec: TrialSpec, error: str, detail: str = "") -> TrialRecord:
    record = base_record(spec)
    record.status, record.error = "failed", error
    record.extra.update(traceback=detail, finished=now())
    return record


def _subset(windows: WindowTable, rows: np.ndarray) -> WindowTable:
    return WindowTable(windows.track[rows], windows.group[rows], windows.official_split[rows])


def choose_fold(split: SplitSpec, windows: WindowTable, spec: TrialSpec, test_fraction: float) -> Fold:
    folds = split.make(windows, spec.split_rng_seed, spec.folds, test_fraction)
    if spec.fold >= len(folds):
        raise ValueError(f"split {split.name!r} made {len(folds)} folds; fold {spec.fold} does not exist")
    return folds[spec.fold]


def carve_validation(split: SplitSpec, windows: WindowTable, train: np.ndarray, seed: int, fraction: float):
    """(train, validation) rows: validation is cut from train by the split's own rule, so a
    grouped split never early-stops on songs it trains on. None when train is too small."""
    try:
        inner = split.make(_subset(windows, train), seed + VALIDATION_SEED_OFFSET, None, fraction)[0]
    except ValueError:
        return train, None
    return train[inner.train], train[inner.test]


def fold_counts(windows: WindowTable, parts: dict[str, np.ndarray | None]) -> dict[str, dict[str, int]]:
    """part -> how many songs and artists (the split's groups) its windows come from."""
    return {
        part: {
            "songs": 0 if rows is None else len(np.unique(windows.track[rows])),
            "artists": 0 if rows is None else len(np.unique(windows.group[rows])),
        }
        for part, rows in parts.items()
    }


def song_level(dataset: Dataset, rows: np.ndarray, truth: np.ndarray, predictions: np.ndarray, aggregate: str):
    """Per-song (track ids, true values, aggregated predictions) of the windows `rows`;
    `truth` and `predictions` are aligned with `rows`."""
    track_index = dataset.window_track[rows]
    songs = np.unique(track_index)
    reduce = AGGREGATIONS[aggregate]
    true = np.array([truth[track_index == s][0] for s in songs])
    pred = np.array([reduce(predictions[track_index == s]) for s in songs])
    return [dataset.tracks[s].id for s in songs], true, pred


def input_problem(x: np.ndarray, shape: tuple[int, ...]) -> str | None:
    """Why a batch of feature windows `x` cannot be fed as windows of `shape` (None if it can)."""
    if tuple(x.shape[1:]) != tuple(shape):
        return f"windows of shape {tuple(x.shape[1:])}, but the feature declares {tuple(shape)}"
    if x.dtype != np.float32:
        return f"values of dtype {x.dtype}, expected float32"
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        return f"NaN or infinity in {int(bad.sum())} of {len(x)} windows (expected finite values)"
    return None


def preflight(registry: Registry, spec: TrialSpec, profile: Profile, adapter: Framework, model, x: np.ndarray):
    """Before the first epoch: the feature's windows `x` (a real training batch) and the built
    model honour the contract, or a ModelContractError names the plugin, what was expected
    and what was received."""
    feature = registry.get("feature", spec.feature)
    declared = tuple(feature.shape(view(profile, feature)))
    problem = input_problem(x, declared)
    if problem:
        raise ModelContractError(f"{registry.describe('feature', spec.feature)} gave {problem}")
    try:
        adapter.check_model(model, x)
    except ModelContractError as exc:
        raise ModelContractError(f"{registry.describe('model', spec.model)}: {exc}") from None


def check_bounded(registry: Registry, spec: TrialSpec, predictions: np.ndarray) -> None:
    """A bounded framework's trained model must still predict within 0..1 to be ranked."""
    low, high = float(np.min(predictions)), float(np.max(predictions))
    if not (np.isfinite(predictions).all() and 0 <= low and high <= 1):
        raise ModelContractError(
            f"{registry.describe('model', spec.model)}: its test predictions span {low:.3g}..{high:.3g}, "
            "outside 0..1, so it cannot be ranked: targets are scaled to 0..1, end in Dense(1, activation='sigmoid')"
        )


def check_finite(registry: Registry, model: str, predictions: np.ndarray) -> None:
    """A model's test predictions must all be numbers to be scored."""
    bad = int((~np.isfinite(predictions)).sum())
    if bad:
        raise ModelContractError(
            f"{registry.describe('model', model)}: {bad} of {len(predictions)} test predictions are NaN or infinite"
        )


def score(registry: Registry, metrics: dict, level: str, true: np.ndarray, pred: np.ndarray) -> tuple[dict, list[dict]]:
    """({metric: value}, [failures]) of `metrics` at one level: a metric that raises or gives
    anything but a finite number is left out and its failure recorded, naming it and its plugin."""
    values, failures = {}, []
    for name, metric in metrics.items():
        try:
            values[name] = metric_value(metric, true, pred)
        except Exception as exc:
            reraise_interruption(exc)
            error = f"{registry.describe('metric', name)} failed at {level} level: {type(exc).__name__}: {exc}"
            failures.append({"metric": name, "level": level, "error": error})
    return values, failures


def run_trial(spec: TrialSpec, registry: Registry) -> TrialRecord:
    """Train and evaluate one cell; returns its finished record (raises on any failure)."""
    store = RunStore(spec.run_dir)
    profile = Profile(**spec.profile)
    model_spec = registry.get("model", spec.model)
    if not model_spec.predicts(spec.target):
        raise ValueError(
            f"{registry.describe('model', spec.model)} predicts only {', '.join(model_spec.targets)}. "
            f"Received: target {spec.target!r}"
        )
    split = registry.get("split", spec.split)
    dataset = Dataset.from_json(json.loads((store.dir / "dataset.json").read_text()))
    target = Target(**store.info()["targets"][spec.target])
    truth = dataset.labels(spec.target)
    windows = dataset.window_table()
    grid = WindowGrid.of(dataset.window_track, profile.grid_ratio)
    evaluated = _subset(windows, grid.rows)  # the windows a split sees: the hop's grid
    fold = choose_fold(split, evaluated, spec, profile.test_fraction)
    computed = dataset.valid(spec.feature)  # False on clips the feature failed on: masked like missing labels
    if not computed.any():
        raise ValueError(f"feature {spec.feature!r} has no windows: it failed on every clip (see the run's problems)")
    labelled = ~np.isnan(truth) & computed
    usable = labelled[grid.rows]
    train, test = fold.train[usable[fold.train]], fold.test[usable[fold.test]]
    if fold.validation is not None:
        validation = fold.validation[usable[fold.validation]]
    else:
        train, validation = carve_validation(split, evaluated, train, spec.split_rng_seed, profile.validation_fraction)
    # From positions on the grid to dataset rows; training takes the windows off the grid too
    train, test = grid.training(train), grid.rows[test]
    train = train[labelled[train]]
    validation = None if validation is None else grid.rows[validation]
    if spec.tuning.startswith("search"):
        if validation is None or len(validation) == 0:
            raise ValueError(f"split {spec.split!r} left no validation windows to score a tuning configuration on")
        test = validation
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"split {spec.split!r} left {len(train)} training and {len(test)} test windows")
    target = target.fitted_on(truth[train])  # an observed range: the training songs' alone, never the test songs'
    features = FeatureReader(dataset.features[spec.feature], dataset.shapes[spec.feature])
    timing = {"feature_s": dataset.feature_seconds.get(spec.feature, 0.0)}
    adapter = registry.framework(spec.model)
    y = target.scale(np.nan_to_num(truth)) if adapter.scaled_labels else np.nan_to_num(truth)
    # The networks read normalised features; scikit-learn models scale their own.
    normalized = normalizing_reader(features, profile.normalization if adapter.normalized_input else "none", train)
    reader = normalized
    if spec.augment:  # after the clean `train` statistics are fitted; validation and test stay clean
        reader = augmenting_reader(registry, spec.augment, spec.feature, profile, normalized, train)
    first_batch = reader.read(train[: profile.batch_size])
    started = time.perf_counter()
    try:
        model = adapter.build(model_spec, reader.row_shape, profile, spec.seed)
    except ModelContractError as exc:
        raise ModelContractError(f"{registry.describe('model', spec.model)}: {exc}") from None
    timing["build_s"] = time.perf_counter() - started
    preflight(registry, spec, profile, adapter, model, first_batch)
    started = time.perf_counter()
    with observing(adapter, spec.pruning):
        fitted = adapter.fit(model, profile, reader, train, validation, y, spec.seed)
    timing["train_s"] = time.perf_counter() - started
    if fitted.epoch_seconds:
        timing["epoch_s"] = float(np.median(fitted.epoch_seconds))
        timing["first_epoch_s"] = fitted.epoch_seconds[0]
    started = time.perf_counter()
    scaled = adapter.predict(model, reader, test, profile)
    timing["predict_s"] = time.perf_counter() - started
    check_finite(registry, spec.model, scaled)
    if adapter.bounded:
        check_bounded(registry, spec, scaled)
    extra: dict = {"params": adapter.count_params(model), **fitted.fields}
    if target.observed:  # bench predict scales new audio back by the same range
        extra["label_range"] = [target.low, target.high]
    predictions = target.unscale(scaled) if adapter.scaled_labels else np.asarray(scaled, dtype=np.float64)
    timing["predict_windows_per_s"] = warm_throughput(adapter, model, reader, test, profile)
    songs, song_true, song_pred = song_level(dataset, test, truth[test], predictions, spec.aggregate)
    applicable = {name: m for name, m in registry.metrics.items() if m.applies_to(spec.target)}
    metrics, metric_errors = {}, []
    for level, (true, pred) in (("window", (truth[test], predictions)), ("song", (song_true, song_pred))):
        metrics[level], failures = score(registry, applicable, level, true, pred)
        metric_errors += failures
    if metric_errors:
        extra["metric_errors"] = metric_errors
    target_metrics = sorted(name for name, m in applicable.items() if m.targets is not None)
    if target_metrics:  # shown on this target's score board (bench.results.leaderboard)
        extra["target_metrics"] = target_metrics
    if spec.save_model:
        extra["model_path"] = save_model(adapter, model, store, spec.id)
        extra["normalization"] = normalized.normalizer.to_json()  # bench predict normalises new audio alike
    return TrialRecord.from_dict(
        {
            **base_record(spec).to_dict(),
            "status": "ok",
            "baseline": model_spec.baseline,
            "leaky": split.leaky,
            "n_train_windows": int(len(train)),
            "n_validation_windows": 0 if validation is None else int(len(validation)),
            "n_test_windows": int(len(test)),
            "n_test_songs": len(songs),
            "fold_counts": fold_counts(windows, {"train": train, "validation": validation, "test": test}),
            "metrics": metrics,
            "timing": timing,
            "songs": SongPredictions(songs, song_true.tolist(), song_pred.tolist()),
            **extra,
        }
    )


def warm_throughput(adapter: Framework, model, reader: FeatureReader, rows: np.ndarray, profile: Profile) -> float:
    """Windows per second of a second pass over the test windows: the first pass's start-up
    (graph tracing, first allocations) excluded, so the figure is prediction, not overhead."""
    started = time.perf_counter()
    adapter.predict(model, reader, rows, profile)
    return len(rows) / max(time.perf_counter() - started, 1e-9)


def save_model(adapter: Framework, model, store: RunStore, trial_id: str) -> str:
    """The trained model next to its record, in its framework's own format."""
    folder = store.dir / "models"
    folder.mkdir(exist_ok=True)
    path = folder / f"{file_name(trial_id)}{adapter.suffix}"
    adapter.save(model, path)
    return str(path.relative_to(store.dir))


def gpu_visible() -> bool:
    """Whether the Keras backend of this process sees a GPU."""
    backend = keras_backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


@contextmanager
def precision_policy(spec: TrialSpec):
    """Keras's mixed_float16 policy for the trial when `spec.mixed_precision` asks for it, put
    back afterwards (an inline executor runs many trials in one process). Refused where the
    trial sees no GPU: on CPU, float16 only adds casts (MIXED_PRECISION_ON_CPU)."""
    if not spec.mixed_precision:
        yield
        return
    if not gpu_visible():
        raise ValueError(
            f"--mixed-precision needs a GPU, and this trial's worker ({keras_backend()} backend) sees none. "
            f"On CPU it is slower, not faster ({MIXED_PRECISION_ON_CPU}): drop --mixed-precision"
        )
    from bench.trial.quiet import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def execute(spec: TrialSpec, registry: Registry | None = None, write: bool = True) -> TrialRecord:
    """Run one trial and return its record, successful or not (written to the run folder
    unless `write` is False, for executors that gather records themselves); never raises."""
    started, started_at = time.perf_counter(), now()
    try:
        if spec.deterministic:
            from bench.trial.backend import deterministic_kernels

            deterministic_kernels()
        with precision_policy(spec):
            record = run_trial(spec, registry or load_registry(spec.plugins))
    except Exception as exc:  # any plugin error fails only this trial
        reraise_interruption(exc)
        record = failed_record(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    record.extra.update(started=started_at, finished=now(), wall_s=time.perf_counter() - started)
    record.extra.setdefault("backend", keras_backend())
    record.peak_rss_mb = peak_rss_mb()
    if write:
        RunStore(spec.run_dir).write_record(record)
    return record
