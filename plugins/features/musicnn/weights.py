"""The musicnn checkpoints, from musicnn's published wheel, extracted once into the harness's cache.

musicnn 0.1.0 (PyPI, ISC licence) ships its trained TensorFlow-1 checkpoints inside its wheel.
The package itself cannot be installed beside this project (it pins numpy<1.17 and TF1 graph
code), so the wheel is fetched and checked by bench_plugins.pretrained (AFB_MUSICNN_WHEEL names
a copy downloaded by hand), and only the checkpoint files the port reads (`.index` and
`.data-*`) are extracted to `<cache>/pretrained/musicnn-0.1.0/<model>/model.*`. Each extracted
file's sha256 is pinned too and checked once per process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench_plugins.pretrained import PinnedWheel, WheelUnavailable, content_hash, locked

WHEEL = PinnedWheel(
    "musicnn", "0.1.0", "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa", "AFB_MUSICNN_WHEEL"
)
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


class WeightsError(WheelUnavailable):
    """A musicnn checkpoint is unknown, or its extracted files fail their checksums."""


def extract(wheel: Path, model: str, into: Path, parts: dict[str, str] = PARTS) -> Path:
    """Copy `model`'s checkpoint files out of the wheel into `into/<model>/`; returns the
    checkpoint prefix (`into/<model>/model`, what tf.train.load_checkpoint reads)."""
    members = {f"{WHEEL.package}/{model}/{suffix}": name for name, suffix in parts.items()}
    WHEEL.unpack(wheel, members, Path(into) / model)
    return Path(into) / model / "model"


def _intact(model: str, root: Path) -> bool:
    return all(
        (root / model / name).is_file() and content_hash(root / model / name) == FILE_SHA256[(model, name)]
        for name in PARTS
    )


_checked: dict[tuple[str, Path], Path] = {}  # checkpoints verified by this process


def checkpoint(model: str) -> Path:
    """The prefix of `model`'s checkpoint in the cache ("MSD_musicnn" or "MTT_musicnn"),
    extracted and verified first where missing or damaged."""
    if model not in MODELS:
        raise WeightsError(f"musicnn weights: no model {model!r}; known: {', '.join(MODELS)}")
    root = WHEEL.folder()
    if (model, root) in _checked:
        return _checked[(model, root)]
    with locked(root / ".lock"):  # the feature workers of a run extract once, not once each
        if not _intact(model, root):
            wheel = WHEEL.path()
            with tempfile.TemporaryDirectory(dir=root, prefix="fetch-") as scratch:
                staged = Path(scratch)
                for name in [m for m in MODELS if m == model or not _intact(m, root)]:  # one wheel serves all
                    extract(wheel, name, staged)
                    shutil.rmtree(root / name, ignore_errors=True)
                    os.replace(staged / name, root / name)
            if not _intact(model, root):
                raise WeightsError(f"musicnn weights: the files extracted to {root / model} fail their checksums")
    _checked[(model, root)] = root / model / "model"
    return _checked[(model, root)]
