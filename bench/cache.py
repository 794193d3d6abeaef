"""The on-disk feature cache: one checksummed entry per (audio file, transform, parameters).

Keys hash the file's identity (resolved path, size, modification time), the transform's
name and code version, and every profile field that changes features, so a changed file,
a new transform version or another profile never reads a stale entry. Entries carry a
CRC-32 of their bytes: a corrupt or truncated entry is deleted and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from bench.profiles import Profile
from bench.specs import FeatureSpec

# Profile fields that change what a feature transform produces.
FEATURE_FIELDS = (
    "sample_rate",
    "window_seconds",
    "hop_seconds",
    "wav_rate",
    "n_fft",
    "mel_hop",
    "n_mels",
    "normalization",
)
MAGIC = b"AFB1"


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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FeatureCache:
    """Feature arrays of single tracks under `root/features/<feature>/`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def key(self, audio_path: Path, feature: FeatureSpec, profile: Profile, short_policy: str) -> str:
        return digest(
            {
                "file": file_identity(audio_path),
                "feature": feature.name,
                "version": feature.version,
                "profile": {name: getattr(profile, name) for name in FEATURE_FIELDS},
                "short": short_policy,
            }
        )

    def path(self, feature_name: str, key: str) -> Path:
        return self.root / "features" / feature_name / key[:2] / f"{key}.afb"

    def save(self, feature_name: str, key: str, array: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        body = buffer.getvalue()
        atomic_write_bytes(self.path(feature_name, key), MAGIC + struct.pack("<I", zlib.crc32(body)) + body)

    def load(self, feature_name: str, key: str) -> np.ndarray | None:
        """The cached array, or None when absent; a corrupt entry is removed and None returned."""
        path = self.path(feature_name, key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        body = blob[8:]
        if blob[:4] != MAGIC or struct.unpack("<I", blob[4:8])[0] != zlib.crc32(body):
            path.unlink(missing_ok=True)
            return None
        return np.load(io.BytesIO(body), allow_pickle=False)

    def info(self) -> dict:
        """Entries and bytes per top-level area (features per transform, datasets, corpora)."""
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

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
