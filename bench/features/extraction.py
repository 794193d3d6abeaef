"""One track's features: the work a feature worker does, in a process of its own.

The runner never computes a feature itself. It plans `TrackJob`s (the cache keys are computed
on the head, since they hold the file's identity) and hands them to a feature pool
(`bench.features.pool`, or Ray's); a worker decodes the file once, block by block, runs every
missing transform window by window, and writes each finished array into the shared cache.
A transform that raises fails for that clip alone and is reported in the `TrackResult`; one
that crashes or hangs takes only its worker down, and the pool retries it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import cast

import numpy as np

from bench.features.audio import AudioError, WindowStream, wav_shortfall
from bench.features.cache import FeatureCache, read_fields
from bench.features.shared import WindowInputs
from bench.intermediates import Intermediate
from bench.interrupts import reraise_interruption
from bench.profiles import Profile
from bench.specs import FeatureSpec, Problem

# A clip shorter than this fraction of a window is dropped even under `--short pad`: padding
# 0.1 s of music with 4.9 s of silence would keep its label on what is mostly silence.
MIN_WINDOW_FRACTION = 0.5
DERIVED_FIELDS = ("window_samples", "hop_samples")
KNOB_ACCESS = ("knob", "knobs")  # the feature's own knobs (its cache key hashes their values)


class UndeclaredProfileField(AttributeError):
    """A feature read a Profile field it did not declare in FeatureSpec.profile_fields."""


class ProfileView:
    """The profile as a feature sees it: the window's fields, what it declared and its knobs, nothing else."""

    def __init__(self, profile: Profile, feature: FeatureSpec):
        self._profile, self._feature = profile, feature.name
        self._allowed = frozenset((*read_fields(feature, profile), *DERIVED_FIELDS, *KNOB_ACCESS))

    def __getattr__(self, name: str):
        if name.startswith("_") or name in self._allowed:
            return getattr(self._profile, name)
        raise UndeclaredProfileField(
            f"feature {self._feature!r} read profile.{name}, which it does not declare: add {name!r} to its "
            "FeatureSpec profile_fields (the feature cache key hashes exactly those fields)"
        )


def view(profile: Profile, feature: FeatureSpec) -> Profile:
    """The profile `feature` is handed, carrying its knobs: a ProfileView stands in for the
    Profile the FeatureSpec contract promises (same fields, read-only, fewer of them), hence the cast."""
    own = profile.with_knobs(feature.knobs)
    return own if feature.profile_fields is None else cast(Profile, ProfileView(own, feature))


@dataclass(frozen=True)
class TrackJob:
    """What a worker needs to extract one track: plain, picklable values."""

    index: int
    path: str
    keys: dict[str, str]  # feature name -> cache key, for the features still missing
    plugins: tuple[str, ...]
    profile: Profile
    cache_root: str
    short_policy: str

    def only(self, feature: str) -> TrackJob:
        """The same job for one of its features (a retry isolates each)."""
        return TrackJob(
            self.index, self.path, {feature: self.keys[feature]}, self.plugins, self.profile, self.cache_root,
            self.short_policy,
        )  # fmt: skip


@dataclass
class TrackResult:
    """What extracting one track produced (the arrays went to the cache)."""

    index: int
    windows: int | None = None  # None when the file never decoded
    seconds: dict[str, float] = field(default_factory=dict)  # compute time per feature
    failures: dict[str, str] = field(default_factory=dict)  # feature -> why it failed on this clip
    transient: set[str] = field(default_factory=set)  # failures that may not recur (out of memory, hung, crashed)
    problems: list[Problem] = field(default_factory=list)  # about the file itself


@cache
def registry_features(plugins: tuple[str, ...]) -> dict[str, FeatureSpec]:
    """The feature specs of a worker that was not forked from the runner (a Ray node): its own registry's."""
    from bench.registry import load_registry

    return load_registry(plugins).features


def declared_inputs(feature: FeatureSpec, profile: Profile) -> dict[str, Intermediate]:
    """The intermediates `feature` derives from at `profile` (FeatureSpec.inputs, shown its view)."""
    return dict(feature.inputs(view(profile, feature))) if feature.inputs is not None else {}


def run_feature(
    feature: FeatureSpec, window: np.ndarray, profile: Profile, shared: WindowInputs | None = None
) -> np.ndarray:
    """`feature`'s output on one window, handed its profile view and the intermediates it declares:
    from `shared`, the window's intermediates all its features draw on, else computed for this call."""
    seen = view(profile, feature)
    if feature.inputs is None:
        return np.asarray(feature.compute(window, seen))
    records = declared_inputs(feature, profile)
    shared = shared or WindowInputs(window, profile.sample_rate, records.values())
    arrays = {name: shared.get(record) for name, record in records.items()}
    return np.asarray(feature.compute(window, seen, arrays))


def _job_inputs(features, names, profile: Profile, failures: dict[str, str]) -> list[Intermediate]:
    """Every intermediate the named features declare; a feature whose declaration raises fails."""
    records: list[Intermediate] = []
    for name in names:
        try:
            records.extend(declared_inputs(features[name], profile).values())
        except Exception as exc:  # a plugin's bug fails its feature, nothing more
            reraise_interruption(exc)
            failures[name] = f"{type(exc).__name__} in its inputs(): {exc}"
    return records


def check_output(feature: FeatureSpec, array: np.ndarray, profile: Profile) -> str | None:
    """Why one window's output breaks the feature's contract, or None."""
    expected = tuple(feature.shape(view(profile, feature)))
    if tuple(array.shape) != expected:
        hint = " (channels first? the harness wants channels last)" if sorted(array.shape) == sorted(expected) else ""
        return f"returned shape {tuple(array.shape)}, but its shape() declares {expected}{hint}"
    if not np.isfinite(array).all():
        return "returned NaN or infinite values"
    return None


def extract(job: TrackJob, features: dict[str, FeatureSpec]) -> TrackResult:
    """Decode one track once and cache each of the job's features (specs in `features`) for all its
    windows; the intermediates they declare are computed once per window for all of them."""
    profile, result = job.profile, TrackResult(job.index)
    stream = WindowStream(job.path, profile.sample_rate, profile.window_samples, profile.hop_samples, job.short_policy)
    outputs: dict[str, list[np.ndarray]] = {name: [] for name in job.keys}
    seconds, count = dict.fromkeys(job.keys, 0.0), 0
    declared = _job_inputs(features, job.keys, profile, result.failures)
    try:
        for window in stream:
            count += 1
            # The window's intermediates: each computed by the first feature that asks, timed as its.
            shared = WindowInputs(window, profile.sample_rate, declared)
            for name in [n for n in outputs if n not in result.failures]:
                started = time.perf_counter()
                try:
                    array = np.asarray(run_feature(features[name], window, profile, shared), np.float32)
                    problem = check_output(features[name], array, profile)
                except Exception as exc:  # a plugin's bug fails this clip's feature, nothing more
                    reraise_interruption(exc)
                    problem = f"{type(exc).__name__}: {exc}"
                    if isinstance(exc, MemoryError):
                        result.transient.add(name)
                seconds[name] += time.perf_counter() - started
                if problem:
                    result.failures[name] = problem
                else:
                    outputs[name].append(array)
    except AudioError as exc:
        result.problems.append(Problem(exc.path, exc.problem))
        return result
    for damaged in (stream.notes.summary(), wav_shortfall(Path(job.path))):
        if damaged:
            result.problems.append(Problem(job.path, damaged, "kept"))
    if stream.short:
        length, needed = stream.seconds, MIN_WINDOW_FRACTION * profile.window_seconds
        action = "dropped" if stream.short == "dropped" or length < needed else "padded"
        rule = f"; under {needed:g} s a clip is dropped" if action == "dropped" and stream.short == "padded" else ""
        what = f"shorter than one window ({length:.2f} s < {profile.window_seconds:g} s{rule})"
        result.problems.append(Problem(job.path, what, action))
        if action == "dropped":
            result.windows = 0
            return result
    result.windows = count
    cache = FeatureCache(Path(job.cache_root))
    for name, arrays in outputs.items():
        if name not in result.failures:
            cache.save(name, job.keys[name], np.stack(arrays) if arrays else np.empty((0, 0), np.float32))
    result.seconds = seconds
    return result
