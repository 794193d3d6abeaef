"""Turns a source's catalog into window-level features in the cache: the feature stage.

    plan (head: cache keys, what is missing) -> probe (once per run) -> pool (isolated workers)
      -> Dataset (which windows exist; per feature, where each track's rows lie in the cache)

The head only plans and assembles: every transform runs in a worker process, so a clip whose
feature raises, crashes or hangs is retried once and then reported against that clip and
feature, and the run goes on without it. A track keeps its windows when at least one feature
worked on it; a feature that failed on it masks its windows out of that feature's trials only
(`Dataset.valid`), the way a missing label does, so every feature's splits see the same
window table. Trials read rows straight out of the per-track cache entries: nothing is copied.
A fully warm run decodes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bench.features.cache import Failure, FeatureCache, Segment, digest, file_identity
from bench.features.extraction import TrackJob, TrackResult, view
from bench.features.pool import LocalFeaturePool, Probe, probe
from bench.files import atomic_write_bytes
from bench.profiles import Profile
from bench.specs import Catalog, FeatureSpec, Problem, Track, WindowTable

DAMAGE_ACTIONS = ("skipped", "kept")  # a file problem's action when the file itself is damaged


@dataclass
class Dataset:
    """Every window the run uses: which track it came from, where, and its feature rows."""

    tracks: list[Track]
    window_track: np.ndarray  # index into tracks, one per window
    window_start: np.ndarray  # seconds into the track
    features: dict[str, list[Segment | None]]  # feature -> one segment per track (None: failed there)
    shapes: dict[str, tuple[int, ...]]
    feature_seconds: dict[str, float]  # compute time per feature in this run (0 when cached)
    problems: list[Problem] = field(default_factory=list)

    @property
    def damaged(self) -> list[Problem]:
        """The problems with files themselves: unreadable ones (skipped) and damaged ones that
        decoded (kept: a truncated WAV, a stream the decoder resynchronised)."""
        return [p for p in self.problems if p.action in DAMAGE_ACTIONS]

    def window_table(self) -> WindowTable:
        tracks = self.tracks
        return WindowTable(
            track=np.array([tracks[i].id for i in self.window_track]),
            group=np.array([tracks[i].group for i in self.window_track]),
            official_split=np.array([tracks[i].official_split or "" for i in self.window_track]),
        )

    def labels(self, target: str) -> np.ndarray:
        """The target's value for every window (NaN where a track lacks it)."""
        per_track = np.array([t.labels.get(target, np.nan) for t in self.tracks], dtype=np.float64)
        return per_track[self.window_track]

    def valid(self, feature: str) -> np.ndarray:
        """For every window, whether `feature` has its rows (False where it failed on the clip)."""
        per_track = np.array([segment is not None for segment in self.features[feature]], dtype=bool)
        return per_track[self.window_track] if len(per_track) else np.zeros(0, bool)

    def to_json(self) -> dict:
        return {
            "tracks": [{**asdict(t), "path": str(t.path)} for t in self.tracks],
            "window_track": self.window_track.tolist(),
            "window_start": self.window_start.tolist(),
            "features": {k: [s and asdict(s) for s in v] for k, v in self.features.items()},
            "shapes": {k: list(v) for k, v in self.shapes.items()},
            "feature_seconds": self.feature_seconds,
            "problems": [asdict(p) for p in self.problems],
        }

    @classmethod
    def from_json(cls, data: dict) -> Dataset:
        return cls(
            tracks=[Track(**{**t, "path": Path(t["path"])}) for t in data["tracks"]],
            window_track=np.array(data["window_track"], dtype=np.int64),
            window_start=np.array(data["window_start"], dtype=np.float64),
            features={k: [s and Segment(**s) for s in v] for k, v in data["features"].items()},
            shapes={k: tuple(v) for k, v in data["shapes"].items()},
            feature_seconds=data["feature_seconds"],
            problems=[Problem(**p) for p in data["problems"]],
        )


@dataclass
class _TrackPlan:
    """What the head knows of one track before extraction."""

    keys: dict[str, str] = field(default_factory=dict)  # feature -> cache key
    windows: int | None = None  # from the cached track notes
    problems: list[Problem] = field(default_factory=list)  # about the file, from the notes
    missing: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # feature -> why it failed, as the problem says it


NOTES_VERSION = 2  # what the notes hold; 2: a truncated WAV's problem


def _notes_key(track: Track, profile: Profile, short_policy: str) -> str:
    """Identifies what decoding a track yields: its file and the window geometry."""
    geometry = (profile.sample_rate, profile.window_seconds, profile.hop_seconds, short_policy)
    return digest({"file": file_identity(track.path), "windows": geometry, "notes": NOTES_VERSION})


FORGET_HINT = "`bench cache forget-failures` tries every remembered clip again"


def remembered(failure: Failure) -> str:
    """A failure the cache remembers, as a run reports it."""
    when = f" on {failure.when}" if failure.when else ""
    return f"{failure.reason} (remembered from an earlier run{when}; {FORGET_HINT})"


def _notes_path(cache: FeatureCache, key: str) -> Path:
    return cache.root / "tracks" / key[:2] / f"{key}.json"


def _plan_track(track: Track, features, profile, cache: FeatureCache, short_policy: str) -> _TrackPlan | Problem:
    """The cache keys and what is missing for one track, or the problem that rules it out."""
    if not track.path.is_file():
        return Problem(str(track.path), "file not found")
    try:
        plan = _TrackPlan(keys={f.name: cache.key(track.path, f, view(profile, f), short_policy) for f in features})
        notes = json.loads(_notes_path(cache, _notes_key(track, profile, short_policy)).read_text())
        plan.windows, plan.problems = notes["windows"], [Problem(**p) for p in notes["problems"]]
    except PermissionError as exc:
        return Problem(str(track.path), f"cannot read the file ({str(exc.strerror or exc).lower()})")
    except (OSError, ValueError, KeyError):
        plan.windows = None  # no notes yet: the track is decoded again
    for feature in features:
        shape = tuple(feature.shape(view(profile, feature)))
        failure = cache.failure(feature.name, plan.keys[feature.name])
        if failure is not None:
            plan.failures[feature.name] = remembered(failure)
        elif plan.windows is None or cache.segment(feature.name, plan.keys[feature.name], shape) is None:
            plan.missing.append(feature.name)
    return plan


def build_dataset(
    catalog: Catalog,
    features: list[FeatureSpec],
    profile: Profile,
    cache: FeatureCache,
    short_policy: str = "pad",
    jobs: int = 1,
    on_track_done: Callable[[], None] = lambda: None,
    plugins: tuple[str, ...] = (),
    pool=None,
    say: Callable[[str], None] = print,
    probed: Probe | None = None,
) -> Dataset:
    """Features for every window of every usable track, computed once and cached. `pool`
    runs the extraction (default: this machine's workers, `jobs` at a time); `plugins` lets a
    worker elsewhere load the feature specs itself; `probed` is the features' probe if the
    caller started it (bench.features.pool.Probe), which the stage waits for either way."""
    tracks = catalog.tracks
    plans = [_plan_track(t, features, profile, cache, short_policy) for t in tracks]
    problems = [p for p in plans if isinstance(p, Problem)]
    todo = [i for i, p in enumerate(plans) if isinstance(p, _TrackPlan) and p.missing]
    # Every feature checked once (bench.features.pool.probe): one that cannot run is left out of
    # the whole run, reported once rather than per clip.
    verdict = probed.verdict(say) if probed is not None else probe(features, profile, say) if todo else {}
    broken = verdict if todo else {}
    results: dict[int, TrackResult] = {}

    def done(result: TrackResult) -> None:
        results[result.index] = result
        on_track_done()

    problems += [Problem(f"feature {name!r}", reason, "left out") for name, reason in broken.items()]
    jobs_to_run = []
    for i in todo:
        plan = plans[i]
        assert isinstance(plan, _TrackPlan)  # todo holds the plans' indices only
        keys = {name: plan.keys[name] for name in plan.missing if name not in broken}
        jobs_to_run.append(
            TrackJob(i, str(tracks[i].path), keys, tuple(plugins), profile, str(cache.root), short_policy)
        )
    for _ in range(len(tracks) - len(todo)):
        on_track_done()
    if jobs_to_run:
        (pool or LocalFeaturePool(jobs)).run(jobs_to_run, features, done)

    kept: list[tuple[Track, int]] = []
    segments: dict[str, list[Segment | None]] = {f.name: [] for f in features}
    seconds = dict.fromkeys((f.name for f in features), 0.0)
    for i, track in enumerate(tracks):
        plan = plans[i]
        if isinstance(plan, Problem):
            continue
        windows, file_problems = _settle(plan, results.get(i), cache, track, profile, short_policy)
        problems.extend(file_problems)
        for name, reason in plan.failures.items():
            problems.append(Problem(str(track.path), f"feature {name!r} failed on this clip: {reason}", "masked"))
        if not windows:
            continue
        kept.append((track, windows))
        for feature in features:
            shape = tuple(feature.shape(view(profile, feature)))
            segment = None
            if feature.name not in plan.failures and feature.name not in broken:
                segment = cache.segment(feature.name, plan.keys[feature.name], shape)
                if segment is None or segment.rows != windows:
                    raise RuntimeError(_unseen(feature.name, track, cache))
            segments[feature.name].append(segment)
        if i in results:
            for name, value in results[i].seconds.items():
                seconds[name] += value
    window_track = np.concatenate([np.full(n, k) for k, (_, n) in enumerate(kept)]) if kept else np.zeros(0, int)
    window_start = np.concatenate([np.arange(n) * profile.hop_seconds for _, n in kept]) if kept else np.zeros(0)
    return Dataset(
        tracks=[t for t, _ in kept],
        window_track=window_track.astype(np.int64),
        window_start=window_start.astype(np.float64),
        features=segments,
        shapes={f.name: tuple(f.shape(view(profile, f))) for f in features},
        feature_seconds=seconds,
        problems=problems,
    )


def _unseen(feature: str, track: Track, cache: FeatureCache) -> str:
    return (
        f"feature {feature!r} of {track.path} was computed, but its cache entry is missing or damaged under "
        f"{cache.root}: workers on other machines must see the cache through a filesystem shared with this one "
        "(or another process deleted it meanwhile)"
    )


def _settle(plan: _TrackPlan, result: TrackResult | None, cache, track, profile, short_policy):
    """(windows, problems about the file) after extraction; writes the track's notes and
    remembers features that failed on it, so a later run neither decodes nor retries them."""
    if result is None:
        return plan.windows, plan.problems
    for name, reason in result.failures.items():
        if name in result.transient:
            plan.failures[name] = f"{reason} (not remembered: the next run tries this clip again)"
        else:
            plan.failures[name] = reason
            cache.mark_failed(name, plan.keys[name], reason)
    if result.windows is None:  # never decoded, or every feature's worker died
        if plan.windows is not None:  # the cached notes know its windows: the other features stand
            return plan.windows, plan.problems
        return 0, result.problems
    notes = {"windows": result.windows, "problems": [asdict(p) for p in result.problems]}
    atomic_write_bytes(_notes_path(cache, _notes_key(track, profile, short_policy)), json.dumps(notes).encode())
    return result.windows, result.problems
