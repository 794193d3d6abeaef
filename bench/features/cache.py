"""The on-disk feature cache: one checksummed entry per (audio file, transform, parameters).

Keys hash the file's identity (resolved path, size, modification time), the transform's name
and version, the versions of the libraries that decode and transform audio, the window
geometry, exactly the profile fields the transform declares it reads (all of them for a
transform that declares none) and the values of its own knobs, so a changed file, a new transform or library version, or
another profile never reads a stale entry, while tuning a training knob recomputes nothing.

Entries are raw `.npy` bytes behind an 8-byte header (magic, CRC-32): trials read rows
straight out of them (`bench.features.reader`), so the cache holds each array once. A corrupt or
truncated entry is deleted and rebuilt, never trusted. A (file, transform) whose transform
raised or broke its contract is remembered with its reason and date, so a later run does not
fail on the same clip again; `forget_failures` (`bench cache forget-failures`) lets every
remembered clip be tried again. Failures of the process (a hang, a crash, out of memory) are
never remembered: they may not happen again.

Several runs may share one cache (a shared filesystem included): every write goes to a
uniquely named temporary file in the entry's folder and is renamed into place, files get the
user's umask rather than mkstemp's 0600, and readers check an entry before using it.

A cache marks its folder with a CACHEDIR.TAG (the Cache Directory Tagging convention, which
backup tools honour too) when it creates it; `clear` and `prune` refuse a folder without one, so
a mis-set $AFB_CACHE_DIR or --cache-dir never deletes anything the cache did not create.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import struct
import time
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from bench.files import atomic_write_bytes
from bench.intermediates import describe
from bench.profiles import Profile, knob_values
from bench.specs import FeatureSpec

MAGIC = b"AFB1"
HEADER = 8  # MAGIC + CRC-32 of the .npy body
# The windows themselves depend on these, so every key holds them and every feature may read them.
WINDOW_FIELDS = ("sample_rate", "window_seconds", "hop_seconds")
# What decodes, resamples and transforms audio: an upgrade may change every feature.
AUDIO_LIBRARIES = ("numpy", "scipy", "librosa", "soundfile", "soxr", "numba")


MARKER = "CACHEDIR.TAG"
MARKER_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is an audio-feature-bench feature cache; `bench cache clear` may delete it.\n"
)
ENTRY_SUFFIXES = (".afb", ".failed.json")  # the only files prune deletes


@dataclass(frozen=True)
class Failure:
    """A transform's remembered failure on one file: why, and when (UTC; None for an entry
    written before failures were dated)."""

    reason: str
    when: str | None


class NotACache(PermissionError):
    """A folder given as the cache that the cache did not create: nothing in it is deleted."""


def default_cache_dir() -> Path:
    """$AFB_CACHE_DIR, else the user's cache directory (XDG on Linux)."""
    if os.environ.get("AFB_CACHE_DIR"):
        return Path(os.environ["AFB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "audio-feature-bench"


def digest(payload: object) -> str:
    """A short stable hash of any JSON-able value."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def file_identity(path: Path) -> dict:
    """What identifies an audio file's content without reading it."""
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


@cache
def library_versions() -> dict[str, str | None]:
    """Installed versions of AUDIO_LIBRARIES (None for one that is absent)."""
    versions = {}
    for name in AUDIO_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


@cache
def read_fields(feature: FeatureSpec, profile: Profile) -> tuple[str, ...]:
    """The profile fields a feature may read: the window geometry plus what it declares (every
    field when it declares nothing)."""
    if feature.profile_fields is None:
        return tuple(name for name in profile.to_dict() if name not in ("name", "description"))
    return tuple(dict.fromkeys((*WINDOW_FIELDS, *feature.profile_fields)))


def read_values(feature: FeatureSpec, profile: Profile) -> dict:
    """What a feature's output depends on in the profile: the fields it may read, and its knobs'
    values (as `knob.NAME`) when it declares any."""
    fields = {name: getattr(profile, name) for name in read_fields(feature, profile)}
    bound = profile.knobs or (knob_values(feature.knobs, profile.name) if feature.knobs else {})  # a view binds them
    knobs = {f"knob.{knob.name}": bound[knob.name] for knob in feature.knobs}
    return {**fields, **knobs}


def _inputs(feature: FeatureSpec, declare, profile: Profile) -> dict[str, dict]:
    """The intermediates a feature declares (its FeatureSpec.inputs), as its cache key holds them.
    A declaration that fails stops the run (RuntimeError, naming the feature): no key, no cache."""
    try:
        return {name: describe(record) for name, record in sorted(declare(profile).items())}
    except (TypeError, AttributeError, ValueError) as exc:
        raise RuntimeError(f"feature {feature.name!r}: its inputs(profile) declaration failed: {exc}") from exc


@dataclass(frozen=True)
class Segment:
    """Where one track's rows of one feature lie: a file, the byte offset of its first row, rows."""

    path: str
    offset: int
    rows: int


class FeatureCache:
    """Feature arrays of single tracks under `root/features/<feature>/`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self) -> None:
        """Make the folder (if needed) and mark it as a cache."""
        marker = self.root / MARKER
        if not marker.exists():
            atomic_write_bytes(marker, MARKER_TEXT.encode())

    def _check_marked(self, action: str) -> None:
        if not (self.root / MARKER).is_file():
            raise NotACache(
                f"{self.root}: not a feature cache (it has no {MARKER} file, which bench writes into every cache it "
                f"creates), so `{action}` deletes nothing in it. Check --cache-dir and $AFB_CACHE_DIR; if this "
                f"folder is a cache made by an older bench, create an empty {MARKER} in it and run this again"
            )

    def key(self, audio_path: Path, feature: FeatureSpec, profile: Profile, short_policy: str) -> str:
        return digest(
            {
                "file": file_identity(audio_path),
                "feature": feature.name,
                "version": feature.version,
                "libraries": library_versions(),
                "profile": read_values(feature, profile),
                "short": short_policy,
                **({"inputs": _inputs(feature, feature.inputs, profile)} if feature.inputs is not None else {}),
            }
        )

    def path(self, feature_name: str, key: str) -> Path:
        return self.root / "features" / feature_name / key[:2] / f"{key}.afb"

    def failure_path(self, feature_name: str, key: str) -> Path:
        return self.path(feature_name, key).with_suffix(".failed.json")

    def save(self, feature_name: str, key: str, array: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        body = buffer.getvalue()
        self.create()
        atomic_write_bytes(self.path(feature_name, key), MAGIC + struct.pack("<I", zlib.crc32(body)) + body)
        self.failure_path(feature_name, key).unlink(missing_ok=True)

    def load(self, feature_name: str, key: str) -> np.ndarray | None:
        """The cached array, or None when absent; a corrupt entry is removed and None returned."""
        path = self.path(feature_name, key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        body = blob[HEADER:]
        if blob[:4] != MAGIC or struct.unpack("<I", blob[4:8])[0] != zlib.crc32(body):
            path.unlink(missing_ok=True)
            return None
        return np.load(io.BytesIO(body), allow_pickle=False)

    def segment(self, feature_name: str, key: str, row_shape: tuple[int, ...]) -> Segment | None:
        """Where the entry's rows lie, after a cheap check (magic, float32 rows of `row_shape`,
        the file's length); None when absent, and a damaged entry is removed."""
        path = self.path(feature_name, key)
        try:
            with open(path, "rb") as handle:
                if handle.read(4) != MAGIC:
                    raise ValueError("bad magic")
                handle.seek(HEADER)
                major, _ = np.lib.format.read_magic(handle)
                read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read_header(handle)
                offset = handle.tell()
            row_bytes = int(np.prod(row_shape, dtype=np.int64)) * 4
            if fortran or dtype != np.float32 or tuple(shape[1:]) != tuple(row_shape):
                raise ValueError("unexpected layout")
            if path.stat().st_size != offset + shape[0] * row_bytes:
                raise ValueError("truncated")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, IndexError):
            path.unlink(missing_ok=True)
            return None
        return Segment(str(path), offset, int(shape[0]))

    def mark_failed(self, feature_name: str, key: str, reason: str) -> None:
        """Remember that this (file, transform) failed, why, and when."""
        self.create()
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        atomic_write_bytes(self.failure_path(feature_name, key), json.dumps({"reason": reason, "when": when}).encode())

    def failure(self, feature_name: str, key: str) -> Failure | None:
        """This (file, transform)'s remembered failure, or None (also for an unreadable entry)."""
        try:
            data = json.loads(self.failure_path(feature_name, key).read_text())
            reason, when = data["reason"], data.get("when")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(reason, str):
            return None
        return Failure(reason, when if isinstance(when, str) else None)

    def _entries(self, suffixes: tuple[str, ...]) -> list[Path]:
        """The cache's own files under features/ ending in one of `suffixes` (a symlinked
        features folder, and symlinks in it, are not followed)."""
        features = self.root / "features"
        if features.is_symlink() or not features.is_dir():
            return []
        return [
            path
            for path in features.rglob("*")
            if path.name.endswith(suffixes) and path.is_file() and not path.is_symlink()
        ]

    def forget_failures(self) -> int:
        """Delete every remembered failure, so the next run tries those clips again; how many."""
        self._check_marked("bench cache forget-failures")
        entries = self._entries((".failed.json",))
        for path in entries:
            path.unlink(missing_ok=True)
        return len(entries)

    def info(self) -> dict:
        """Entries and bytes per top-level area (features per transform, corpora, numba kernels)."""
        summary = {}
        if not self.root.exists():
            return summary
        for area in sorted(p for p in self.root.iterdir() if p.is_dir()):
            groups = [g for g in area.iterdir() if g.is_dir()] if area.name == "features" else [area]
            for group in groups:
                files = [f for f in group.rglob("*") if f.is_file()]
                label = f"features/{group.name}" if area.name == "features" else area.name
                summary[label] = {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}
        return summary

    def prune(self, older_than_days: float | None = None, max_bytes: int | None = None) -> tuple[int, int]:
        """Delete feature entries last used more than `older_than_days` ago, then the least
        recently used ones until the features take at most `max_bytes`; (files, bytes) removed.
        Only entry files are deleted, and a symlinked features folder is not followed."""
        self._check_marked("bench cache prune")
        entries = []
        for path in self._entries(ENTRY_SUFFIXES):
            stat = path.stat()
            entries.append((max(stat.st_atime, stat.st_mtime), stat.st_size, path))
        entries.sort()
        total = sum(size for _, size, _ in entries)
        cutoff = time.time() - older_than_days * 86400 if older_than_days is not None else None
        removed = freed = 0
        for used, size, path in entries:
            too_old = cutoff is not None and used < cutoff
            too_big = max_bytes is not None and total - freed > max_bytes
            if not (too_old or too_big):
                continue
            path.unlink(missing_ok=True)
            removed, freed = removed + 1, freed + size
        return removed, freed

    def clear(self) -> None:
        """Delete the whole cache folder; NotACache when it is not marked as one."""
        if not self.root.exists():
            return
        self._check_marked("bench cache clear")
        shutil.rmtree(self.root, ignore_errors=True)
