"""One trial: a (source, feature, model, split, seed, fold, target) cell, from split to record.

`execute` never raises: whatever goes wrong (a broken plugin, an impossible shape) becomes a
failed record with the error, so the rest of the run goes on.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from bench.dataset import Dataset
from bench.measure import keras_backend, peak_rss_mb
from bench.normalization import normalizing_reader
from bench.profiles import Profile
from bench.reader import FeatureReader
from bench.registry import Registry, load_registry
from bench.results import RunStore
from bench.specs import Fold, ModelSpec, SplitSpec, Target, WindowTable

AGGREGATIONS = {"mean": np.mean, "median": np.median}
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

    @property
    def id(self) -> str:
        fold = f"--fold{self.fold}" if self.folds else ""
        return f"{self.target}--{self.model}--{self.feature}--{self.split}--seed{self.seed}{fold}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def base_record(spec: TrialSpec) -> dict:
    """The identifying part of a record, shared by finished and failed trials."""
    fields = asdict(spec)
    for private in ("run_dir", "profile", "plugins", "threads", "save_model"):
        fields.pop(private)
    return {"id": spec.id, "status": "running", "profile": spec.profile["name"], **fields}


def failed_record(spec: TrialSpec, error: str, detail: str = "") -> dict:
    return {**base_record(spec), "status": "failed", "error": error, "traceback": detail, "finished": now()}


def _subset(windows: WindowTable, rows: np.ndarray) -> WindowTable:
    return WindowTable(windows.track[rows], windows.group[rows], windows.official_split[rows])


def choose_fold(split: SplitSpec, windows: WindowTable, spec: TrialSpec, test_fraction: float) -> Fold:
    folds = split.make(windows, spec.seed, spec.folds, test_fraction)
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


def song_level(dataset: Dataset, rows: np.ndarray, truth: np.ndarray, predictions: np.ndarray, aggregate: str):
    """Per-song (track ids, true values, aggregated predictions) of the windows `rows`;
    `truth` and `predictions` are aligned with `rows`."""
    track_index = dataset.window_track[rows]
    songs = np.unique(track_index)
    reduce = AGGREGATIONS[aggregate]
    true = np.array([truth[track_index == s][0] for s in songs])
    pred = np.array([reduce(predictions[track_index == s]) for s in songs])
    return [dataset.tracks[s].id for s in songs], true, pred


def _sklearn_params(estimator) -> int:
    """Learned numbers of a fitted scikit-learn estimator (arrays ending in '_', all steps)."""
    steps = [step for _, step in getattr(estimator, "steps", [("", estimator)])]
    return int(
        sum(
            np.size(v)
            for step in steps
            for k, v in vars(step).items()
            if k.endswith("_") and not k.startswith("_") and isinstance(v, (np.ndarray, float, np.floating))
        )
    )


def _fit_sklearn(model: ModelSpec, profile: Profile, reader: FeatureReader, train, validation, test, y, timing):
    estimator = model.build(reader.row_shape, profile)
    fit_rows = train if validation is None else np.concatenate([train, validation])  # no early stopping to feed
    started = time.perf_counter()
    estimator.fit(reader.read(fit_rows).reshape(len(fit_rows), -1), y[fit_rows])
    timing["train_s"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = np.asarray(estimator.predict(reader.read(test).reshape(len(test), -1)), dtype=np.float64)
    timing["predict_s"] = time.perf_counter() - started
    return estimator, predictions, {"params": _sklearn_params(estimator)}


def _fit_keras(model_spec: ModelSpec, profile: Profile, reader, train, validation, test, y, timing, seed):
    import keras

    from bench import training

    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    model = training.compile_model(model_spec.build(reader.row_shape, profile), profile)
    timing["build_s"] = time.perf_counter() - started
    batch = profile.batch_size
    train_batches = training.windows(reader, train, y[train], batch, seed=seed)
    val_batches = None if validation is None else training.windows(reader, validation, y[validation], batch)
    started = time.perf_counter()
    fitted = training.fit(model, profile, train_batches, val_batches)
    timing["train_s"] = time.perf_counter() - started
    timing["epoch_s"] = float(np.median(fitted["epoch_seconds"]))
    timing["first_epoch_s"] = fitted["epoch_seconds"][0]
    started = time.perf_counter()
    predictions = training.predict(model, training.windows(reader, test, None, batch), batch)
    timing["predict_s"] = time.perf_counter() - started
    extra = {
        "params": int(model.count_params()),
        "epochs": len(fitted["epoch_seconds"]),
        "best_epoch": fitted["best_epoch"],
        "history": fitted["history"],
        "backend": keras.backend.backend(),
    }
    return model, predictions, extra


def run_trial(spec: TrialSpec, registry: Registry) -> dict:
    """Train and evaluate one cell; returns its finished record (raises on any failure)."""
    store = RunStore(spec.run_dir)
    profile = Profile(**spec.profile)
    model_spec = registry.get("model", spec.model)
    split = registry.get("split", spec.split)
    dataset = Dataset.from_json(json.loads((store.dir / "dataset.json").read_text()))
    target = Target(**store.info()["targets"][spec.target])
    truth = dataset.labels(spec.target)
    windows = dataset.window_table()
    fold = choose_fold(split, windows, spec, profile.test_fraction)
    labelled = ~np.isnan(truth)
    train, test = fold.train[labelled[fold.train]], fold.test[labelled[fold.test]]
    if fold.validation is not None:
        validation = fold.validation[labelled[fold.validation]]
    else:
        train, validation = carve_validation(split, windows, train, spec.seed, profile.validation_fraction)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"split {spec.split!r} left {len(train)} training and {len(test)} test windows")
    y = target.scale(np.nan_to_num(truth))
    reader = FeatureReader(dataset.features[spec.feature])
    # The networks read normalised features; scikit-learn models scale their own.
    reader = normalizing_reader(reader, "none" if model_spec.framework == "sklearn" else profile.normalization, train)
    timing = {"feature_s": dataset.feature_seconds.get(spec.feature, 0.0)}
    if model_spec.framework == "sklearn":
        model, scaled, extra = _fit_sklearn(model_spec, profile, reader, train, validation, test, y, timing)
    else:
        model, scaled, extra = _fit_keras(model_spec, profile, reader, train, validation, test, y, timing, spec.seed)
    predictions = target.unscale(scaled)
    timing["predict_windows_per_s"] = len(test) / max(timing["predict_s"], 1e-9)
    songs, song_true, song_pred = song_level(dataset, test, truth[test], predictions, spec.aggregate)
    metrics = {
        "window": {name: m.compute(truth[test], predictions) for name, m in registry.metrics.items()},
        "song": {name: m.compute(song_true, song_pred) for name, m in registry.metrics.items()},
    }
    if spec.save_model:
        extra["model_path"] = save_model(model, model_spec, store, spec.id)
        extra["normalization"] = reader.normalizer.to_json()  # bench predict normalises new audio alike
    return {
        **base_record(spec),
        "status": "ok",
        "baseline": model_spec.baseline,
        "leaky": split.leaky,
        "n_train_windows": int(len(train)),
        "n_validation_windows": 0 if validation is None else int(len(validation)),
        "n_test_windows": int(len(test)),
        "n_test_songs": len(songs),
        "metrics": metrics,
        "timing": timing,
        "songs": {"track": songs, "true": song_true.tolist(), "pred": song_pred.tolist()},
        **extra,
    }


def save_model(model, model_spec: ModelSpec, store: RunStore, trial_id: str) -> str:
    """The trained model next to its record: native .keras, or joblib for scikit-learn."""
    folder = store.dir / "models"
    folder.mkdir(exist_ok=True)
    if model_spec.framework == "sklearn":
        import joblib

        path = folder / f"{trial_id}.joblib"
        joblib.dump(model, path)
    else:
        path = folder / f"{trial_id}.keras"
        model.save(path)
    return str(path.relative_to(store.dir))


def execute(spec: TrialSpec, registry: Registry | None = None, write: bool = True) -> dict:
    """Run one trial and return its record, successful or not (written to the run folder
    unless `write` is False, for executors that gather records themselves); never raises."""
    started, started_at = time.perf_counter(), now()
    try:
        record = run_trial(spec, registry or load_registry(spec.plugins))
    except Exception as exc:  # any plugin error fails only this trial
        record = failed_record(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    record.update(started=started_at, finished=now(), wall_s=time.perf_counter() - started)
    record.setdefault("backend", keras_backend())
    record["peak_rss_mb"] = peak_rss_mb()
    if write:
        RunStore(spec.run_dir).write_record(record)
    return record
