"""Turns a source's catalog into window-level feature arrays on disk, through the cache.

Each track is decoded once, cut into windows and transformed by every feature the run needs;
per-track results land in the feature cache, then one consolidated `.npy` per feature
(row i = window i) is assembled for trials to stream from. A fully warm run decodes nothing:
the consolidated set is found by a key over every track's cache key.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bench.audio import AudioError, cut_windows, fit_short, load_stereo
from bench.cache import FeatureCache, atomic_write_bytes, digest
from bench.profiles import Profile
from bench.specs import Catalog, FeatureSpec, Problem, Track, WindowTable


@dataclass
class Dataset:
    """Every window the run uses: which track it came from, where, and its feature files."""

    tracks: list[Track]
    window_track: np.ndarray  # index into tracks, one per window
    window_start: np.ndarray  # seconds into the track
    features: dict[str, str]  # feature name -> consolidated .npy path
    shapes: dict[str, tuple[int, ...]]
    feature_seconds: dict[str, float]  # compute time per feature in this run (0 when cached)
    problems: list[Problem] = field(default_factory=list)

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

    def to_json(self) -> dict:
        return {
            "tracks": [{**asdict(t), "path": str(t.path)} for t in self.tracks],
            "window_track": self.window_track.tolist(),
            "window_start": self.window_start.tolist(),
            "features": self.features,
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
            features=data["features"],
            shapes={k: tuple(v) for k, v in data["shapes"].items()},
            feature_seconds=data["feature_seconds"],
            problems=[Problem(**p) for p in data["problems"]],
        )


@dataclass
class TrackResult:
    """What extracting one track produced (arrays stay in the cache)."""

    index: int
    windows: int
    seconds: dict[str, float]
    problems: list[Problem]


def extract_track(
    index: int, track: Track, features: list[FeatureSpec], profile: Profile, cache_root: str, short_policy: str
) -> TrackResult:
    """Decode one track once and cache every missing feature of all its windows."""
    cache = FeatureCache(Path(cache_root))
    seconds = {f.name: 0.0 for f in features}
    if not track.path.is_file():
        return TrackResult(index, 0, seconds, [Problem(str(track.path), "file not found")])
    try:
        keys = {f.name: cache.key(track.path, f, profile, short_policy) for f in features}
    except OSError as exc:
        return TrackResult(index, 0, seconds, [Problem(str(track.path), f"cannot read the file ({exc.strerror})")])
    cached = {f.name: cache.load(f.name, keys[f.name]) for f in features}
    missing = [f for f in features if cached[f.name] is None]
    if not missing:
        return TrackResult(index, len(next(iter(cached.values()))), seconds, [])
    try:
        stereo, _ = load_stereo(track.path, profile.sample_rate)
    except AudioError as exc:
        return TrackResult(index, 0, seconds, [Problem(exc.path, exc.problem)])
    problems = []
    if stereo.shape[1] < profile.window_samples:
        length = stereo.shape[1] / profile.sample_rate
        stereo = fit_short(stereo, profile.window_samples, short_policy)
        action = "dropped" if stereo is None else "padded"
        problems.append(
            Problem(str(track.path), f"shorter than one window ({length:.2f} s < {profile.window_seconds:g} s)", action)
        )
        if stereo is None:
            return TrackResult(index, 0, seconds, problems)
    windows = cut_windows(stereo, profile.window_samples, profile.hop_samples)
    for feature in missing:
        started = time.perf_counter()
        array = np.stack([feature.compute(w, profile) for w in windows]).astype(np.float32)
        seconds[feature.name] = time.perf_counter() - started
        cache.save(feature.name, keys[feature.name], array)
    return TrackResult(index, len(windows), seconds, problems)


def _consolidate(
    cache: FeatureCache, feature: FeatureSpec, keys: list[str], shape: tuple, windows: int, out: Path
) -> int:
    """Append the per-track arrays into one .npy, one track at a time (plain writes, not a
    memory map, so the runner's resident memory does not grow with the dataset); returns
    the file's CRC-32."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npy")
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
        "fortran_order": False,
        "shape": (windows, *shape),
    }
    with open(tmp, "wb") as handle:
        np.lib.format.write_array_header_2_0(handle, header)
        for key in keys:
            part = cache.load(feature.name, key)
            if part is None:
                raise RuntimeError(f"cache entry for feature {feature.name!r} vanished while assembling the dataset")
            handle.write(np.ascontiguousarray(part, dtype=np.float32).tobytes())
    tmp.replace(out)
    return file_crc(out)


def file_crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def _manifest_is_intact(manifest_path: Path) -> dict | None:
    """The manifest if it and every array it names check out, else None."""
    try:
        manifest = json.loads(manifest_path.read_text())
        for name, entry in manifest["crc"].items():
            if file_crc(Path(manifest["dataset"]["features"][name])) != entry:
                return None
        return manifest
    except (OSError, ValueError, KeyError):
        return None


def build_dataset(
    catalog: Catalog,
    features: list[FeatureSpec],
    profile: Profile,
    cache: FeatureCache,
    short_policy: str = "pad",
    jobs: int = 1,
    on_track_done: Callable[[], None] = lambda: None,
) -> Dataset:
    """Features for every window of every usable track, computed once and cached."""
    tracks = catalog.tracks
    identity = digest(
        {
            "tracks": [(t.id, t.group, str(t.path), t.labels, t.official_split) for t in tracks],
            "keys": [[_safe_key(cache, t, f, profile, short_policy) for f in features] for t in tracks],
        }
    )
    manifest_path = cache.root / "datasets" / identity / "manifest.json"
    manifest = _manifest_is_intact(manifest_path)
    if manifest is not None:
        for _ in tracks:
            on_track_done()
        dataset = Dataset.from_json(manifest["dataset"])
        dataset.feature_seconds = {f.name: 0.0 for f in features}
        return dataset

    args = [(i, t, features, profile, str(cache.root), short_policy) for i, t in enumerate(tracks)]
    results: list[TrackResult] = []
    if jobs > 1 and len(tracks) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(extract_track, *zip(*args), chunksize=max(1, len(tracks) // (jobs * 8))):
                results.append(result)
                on_track_done()
    else:
        for a in args:
            results.append(extract_track(*a))
            on_track_done()

    kept = [r for r in results if r.windows > 0]
    problems = [p for r in results for p in r.problems]
    window_track = np.concatenate([np.full(r.windows, n) for n, r in enumerate(kept)]) if kept else np.zeros(0, int)
    window_start = np.concatenate([np.arange(r.windows) * profile.hop_seconds for r in kept]) if kept else np.zeros(0)
    folder = manifest_path.parent
    paths, crcs, shapes = {}, {}, {}
    for feature in features:
        shapes[feature.name] = tuple(feature.shape(profile))
        keys = [cache.key(tracks[r.index].path, feature, profile, short_policy) for r in kept]
        out = folder / f"{feature.name}.npy"
        crcs[feature.name] = _consolidate(cache, feature, keys, shapes[feature.name], len(window_track), out)
        paths[feature.name] = str(out)
    dataset = Dataset(
        tracks=[tracks[r.index] for r in kept],
        window_track=window_track.astype(np.int64),
        window_start=window_start.astype(np.float64),
        features=paths,
        shapes=shapes,
        feature_seconds={f.name: sum(r.seconds[f.name] for r in results) for f in features},
        problems=problems,
    )
    manifest = {"dataset": dataset.to_json(), "crc": crcs}
    atomic_write_bytes(manifest_path, json.dumps(manifest).encode())
    return dataset


def _safe_key(cache: FeatureCache, track: Track, feature: FeatureSpec, profile: Profile, short_policy: str) -> str:
    """The cache key, or a marker for a file that cannot be stat'ed (it is reported later)."""
    try:
        return cache.key(track.path, feature, profile, short_policy)
    except OSError:
        return "unreadable"
