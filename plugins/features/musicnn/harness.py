"""The only core internals the musicnn plugin uses, in one place."""

from __future__ import annotations

from pathlib import Path


def mid_side(stereo):
    """(2, n) left/right -> (2, n) mid, side: the harness's own split."""
    from bench.features.audio import mid_side as split

    return split(stereo)


def cache_dir() -> Path:
    """The harness's cache folder ($AFB_CACHE_DIR, else the user's cache directory)."""
    from bench.features.cache import default_cache_dir

    return Path(default_cache_dir())


def keras():
    """Keras, imported with TensorFlow's start-up lines kept off stderr."""
    from bench.trial.quiet import keras as quiet_keras

    return quiet_keras
