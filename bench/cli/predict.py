"""Rates new audio files with a model saved by `bench run --save-models`.

Each file goes through the run's own decoding, windowing and feature transform, so a song
gets exactly the value the run would have given it: one prediction per window, and the
song's value aggregated the way the run aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.features.audio import cut_windows, fit_short, load_stereo
from bench.features.extraction import run_feature, view
from bench.files import name_from_file
from bench.profiles import Profile
from bench.registry import load_registry
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.results.trust import run_plugins
from bench.specs import Target
from bench.trial.execute import AGGREGATIONS
from bench.trial.normalization import Normalizer


@dataclass
class Rating:
    """A file's predicted value per window and for the whole song."""

    path: str
    windows: list[float]
    song: float


def saved_record(store: RunStore, trial_id: str) -> TrialRecord:
    """The record of a trial whose model was saved, or FileNotFoundError saying what to do."""
    record = store.read_record(trial_id)
    named = name_from_file(trial_id)
    if record is None and named:  # the record's file name given instead of its id
        record = store.read_record(named)
    if record is None:
        known = ", ".join(sorted(r.id for r in store.trials())[:5])
        raise FileNotFoundError(f"run {store.id} has no trial {trial_id!r}. Some of its trials: {known}")
    if "model_path" not in record.extra:
        raise FileNotFoundError(f"trial {trial_id} saved no model: run it with `bench run --save-models`")
    return record


def load_trained(store: RunStore, trial_id: str, plugins: list[str] | tuple[str, ...] = (), trust_run: bool = False):
    """(record, registry, trained model) of a trial saved with --save-models; the run's plugins
    are imported only when it is trusted (bench.results.trust), the model file only from inside the run."""
    record = saved_record(store, trial_id)
    registry = load_registry(run_plugins(store, plugins, trust_run))
    spec = registry.get("model", record.model)
    profile = Profile.from_dict(store.info()["profile"])
    feature = registry.get("feature", spec.feature)
    shape = tuple(feature.shape(view(profile, feature)))
    model = registry.framework(spec.name).load(
        store.inside(record.extra["model_path"]), spec, shape, profile.with_knobs(spec.knobs)
    )
    return record, registry, model


def _features(path: Path, feature, profile: Profile, short_policy: str) -> np.ndarray:
    """The feature of every window of one file, as the run computed them."""
    stereo, _ = load_stereo(path, profile.sample_rate)
    if stereo.shape[1] < profile.window_samples:
        fitted = fit_short(stereo, profile.window_samples, short_policy)
        if fitted is None:
            raise ValueError(
                f"{path}: shorter than one window ({profile.window_seconds:g} s) and the run drops short clips"
            )
        stereo = fitted
    return np.stack(
        [run_feature(feature, w, profile) for w in cut_windows(stereo, profile.window_samples, profile.hop_samples)]
    )


def rate(
    store: RunStore,
    trial_id: str,
    files: list[Path],
    plugins: list[str] | tuple[str, ...] = (),
    trust_run: bool = False,
) -> list[Rating]:
    """Predictions of the trial's saved model for every file (`plugins`: the ones the user named)."""
    info = store.info()
    record = saved_record(store, trial_id)
    store.inside(record.extra["model_path"])  # refused before any work
    registry = load_registry(run_plugins(store, plugins, trust_run))
    spec = registry.get("model", record.model)
    profile = Profile.from_dict(info["profile"])
    # Features first: librosa's numba kernels must not compile after TensorFlow has loaded.
    inputs = [
        _features(path, registry.get("feature", spec.feature), profile, info["config"]["short_policy"])
        for path in files
    ]
    record, registry, model = load_trained(store, trial_id, plugins, trust_run)
    adapter = registry.framework(spec.name)
    # As the trial normalised; a model saved before records said how read its profile's mode.
    normalize = Normalizer.from_json(
        record.extra.get("normalization") or {"mode": profile.normalization if adapter.normalized_input else "none"}
    )
    target = Target(**info["targets"][record.target])
    if record.extra.get("label_range"):  # the range the trial took from its training songs
        target = replace(target, low=float(record.extra["label_range"][0]), high=float(record.extra["label_range"][1]))
    ratings = []
    for path, x in zip(files, inputs):
        values = adapter.predict_array(model, normalize(x), profile.with_knobs(spec.knobs))
        values = target.unscale(values) if adapter.scaled_labels else np.asarray(values, dtype=np.float64)
        ratings.append(Rating(str(path), values.tolist(), float(AGGREGATIONS[record.aggregate](values))))
    return ratings
