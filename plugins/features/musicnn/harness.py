"""The only core internals the musicnn plugin uses, in one place.

The core is being reorganised into packages (`bench.audio` -> `bench.features.audio`,
`bench.cache` -> `bench.features.cache`, `bench.quiet` -> `bench.trial.quiet`); each helper
is looked up in the new layout first, then in the old one, so the plugin runs with either.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType


def _core(*modules: str) -> ModuleType:
    """The first of `modules` that imports (the reorganised layout is listed first)."""
    for name in modules:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a module that exists but fails inside: not ours to hide
                raise
    raise ModuleNotFoundError(f"musicnn plugin: none of the core modules {', '.join(modules)} is importable")


def mid_side(stereo):
    """(2, n) left/right -> (2, n) mid, side: the harness's own split (`bench.audio.mid_side`)."""
    return _core("bench.features.audio", "bench.audio").mid_side(stereo)


def cache_dir() -> Path:
    """The harness's cache folder ($AFB_CACHE_DIR, else the user's cache directory)."""
    return Path(_core("bench.features.cache", "bench.cache").default_cache_dir())


def keras():
    """Keras, imported with TensorFlow's start-up lines kept off stderr."""
    return _core("bench.trial.quiet", "bench.quiet").keras
