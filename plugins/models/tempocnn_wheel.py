"""The `tempocnn` 0.0.8 wheel from PyPI, for Schreiber & Müller's tempo networks in it.

The wheel ships the networks as Keras .h5 files (`tempocnn/models/`); the package itself is not
installed (it pins tensorflow 2.17). It is fetched (41 MB) on first use into the harness's cache
and checked on every use (bench_plugins.pretrained); `AFB_TEMPOCNN_WHEEL` names a copy
downloaded by hand. The wheel, and the networks in it, are AGPL-3.0 (tagtraum industries).
"""

from __future__ import annotations

from pathlib import Path

from bench_plugins.pretrained import PinnedWheel

WHEEL = PinnedWheel(
    "tempocnn", "0.0.8", "73ef63eecf1c783789c222882aeb286302083f2ef8dc2aeb37588156afc059b5", "AFB_TEMPOCNN_WHEEL"
)


def network_file(name: str) -> Path:
    """`tempocnn/models/<name>.h5` from the checked wheel, unpacked once into the cache."""
    wheel = WHEEL.path()
    target = WHEEL.folder() / f"{name}.h5"
    if not target.is_file():
        WHEEL.unpack(wheel, {f"tempocnn/models/{name}.h5": target.name}, target.parent)
    return target
