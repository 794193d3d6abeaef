"""The only core internals the musicnn plugin uses, in one place."""

from __future__ import annotations


def mid_side(stereo):
    """(2, n) left/right -> (2, n) mid, side: the harness's own split."""
    from bench.features.audio import mid_side as split

    return split(stereo)


def keras():
    """Keras, imported with TensorFlow's start-up lines kept off stderr."""
    from bench.trial.quiet import keras as quiet_keras

    return quiet_keras
