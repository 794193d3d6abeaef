"""The musicnn checkpoints, fetched once into the harness's cache from musicnn's published wheel.

musicnn 0.1.0 (PyPI, ISC licence) ships its trained TensorFlow-1 checkpoints inside its wheel.
The package itself cannot be installed beside this project (it pins numpy<1.17 and TF1 graph
code), so the wheel is downloaded without dependencies (`pip download --no-deps`), its sha256
checked against WHEEL_SHA256, and only the checkpoint files the port reads (`.index` and
`.data-*`) extracted to `<cache>/pretrained/musicnn-0.1.0/<model>/model.*`; the wheel is then
deleted. Each extracted file's sha256 is pinned too and checked once per process.

Offline, point AFB_MUSICNN_WHEEL at an already-downloaded wheel (or the folder holding it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench_plugins.features.musicnn import harness

PACKAGE, RELEASE = "musicnn", "0.1.0"
WHEEL = f"{PACKAGE}-{RELEASE}-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
WHEEL_ENV = "AFB_MUSICNN_WHEEL"
PIP_TIMEOUT_S = 600
# The files of a checkpoint the port reads: the name it gets in the cache -> its wheel member's suffix.
PARTS = {"model.index": ".index", "model.data-00000-of-00001": ".data-00000-of-00001"}
GRAPH = {"model.meta": ".meta"}  # musicnn's own TF1 graph: only the port's verification reads it
FILE_SHA256 = {
    ("MSD_musicnn", "model.index"): "87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8",
    ("MSD_musicnn", "model.data-00000-of-00001"): "8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6",
    ("MTT_musicnn", "model.index"): "da2d7bb670b2b31e9bc441bb1bd75eca31b5b061f963cc1f9630c1aff3238f57",
    ("MTT_musicnn", "model.data-00000-of-00001"): "041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab",
}
MODELS = ("MSD_musicnn", "MTT_musicnn")


class WeightsError(RuntimeError):
    """The musicnn checkpoints could not be fetched or failed their checksum; the message says what to do."""


def pip_command(folder: Path | str) -> list[str]:
    """The command that downloads the wheel into `folder` (what a user runs by hand, offline elsewhere)."""
    return [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        "--no-input", "--retries", "1", "--timeout", "30", "--dest", str(folder), f"{PACKAGE}=={RELEASE}",
    ]  # fmt: skip


def _by_hand() -> str:
    command = f"python -m pip download --no-deps --only-binary=:all: {PACKAGE}=={RELEASE} --dest DIR"
    return (
        f"Run `{command}` on a machine that reaches PyPI, copy DIR/{WHEEL} here and set "
        f"{WHEEL_ENV}=/path/to/{WHEEL} (sha256 {WHEEL_SHA256})"
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder() -> Path:
    """Where the extracted checkpoints live: inside the harness's cache."""
    return harness.cache_dir() / "pretrained" / f"{PACKAGE}-{RELEASE}"


def verified_wheel(path: Path) -> Path:
    """`path` (the wheel, or a folder holding it) once its sha256 is the pinned one."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / WHEEL
    if not path.is_file():
        raise WeightsError(f"musicnn weights: no wheel at {path} ({WHEEL_ENV} or download). {_by_hand()}.")
    found = sha256(path)
    if found != WHEEL_SHA256:
        raise WeightsError(
            f"musicnn weights: {path} is not the published {WHEEL}: its sha256 is {found}, expected {WHEEL_SHA256}. "
            f"Received: {path.stat().st_size} bytes. {_by_hand()}."
        )
    return path


def download_wheel(into: Path) -> Path:
    """Download the wheel with pip into the folder `into` and verify it."""
    command = pip_command(into)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WeightsError(f"musicnn weights: `{' '.join(command)}` could not run ({exc}). {_by_hand()}.") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        why = lines[-1].strip() if lines else "no output"
        raise WeightsError(
            f"musicnn weights: `{' '.join(command)}` failed (exit code {done.returncode}: {why}). {_by_hand()}."
        )
    return verified_wheel(into / WHEEL)


def wheel(scratch: Path) -> Path:
    """The verified wheel: $AFB_MUSICNN_WHEEL when set, else downloaded into `scratch`."""
    given = os.environ.get(WHEEL_ENV)
    return verified_wheel(Path(given)) if given else download_wheel(scratch)


def extract(wheel_path: Path, model: str, into: Path, parts: dict[str, str] = PARTS) -> Path:
    """Copy `model`'s checkpoint files out of the wheel into `into/<model>/`; returns the
    checkpoint prefix (`into/<model>/model`, what tf.train.load_checkpoint reads)."""
    target = Path(into) / model
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as archive:
        for name, suffix in parts.items():
            member = f"{PACKAGE}/{model}/{suffix}"
            try:
                source = archive.open(member)
            except KeyError:
                raise WeightsError(f"musicnn weights: {wheel_path} has no {member}") from None
            with source, open(target / name, "wb") as out:
                shutil.copyfileobj(source, out)
    return target / "model"


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on `path`: the feature workers of a run fetch the weights once, not once each."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _intact(model: str, root: Path) -> bool:
    return all(
        (root / model / name).is_file() and sha256(root / model / name) == FILE_SHA256[(model, name)] for name in PARTS
    )


_checked: dict[tuple[str, Path], Path] = {}  # checkpoints verified by this process


def checkpoint(model: str) -> Path:
    """The prefix of `model`'s checkpoint in the cache ("MSD_musicnn" or "MTT_musicnn"),
    fetched and verified first where missing or damaged."""
    if model not in MODELS:
        raise WeightsError(f"musicnn weights: no model {model!r}; known: {', '.join(MODELS)}")
    root = folder()
    if (model, root) in _checked:
        return _checked[(model, root)]
    with _locked(root / ".lock"):
        if not _intact(model, root):
            with tempfile.TemporaryDirectory(dir=root, prefix="fetch-") as scratch:
                staged, found = Path(scratch) / "out", wheel(Path(scratch))
                for name in [m for m in MODELS if m == model or not _intact(m, root)]:  # one download serves all
                    extract(found, name, staged)
                    shutil.rmtree(root / name, ignore_errors=True)
                    os.replace(staged / name, root / name)
            if not _intact(model, root):
                raise WeightsError(f"musicnn weights: the files extracted to {root / model} fail their checksums")
    _checked[(model, root)] = root / model / "model"
    return _checked[(model, root)]
