"""bench-crnn: a convolutional-recurrent network on the mid/side mel spectrogram.

The seed paper names recurrent models as future work. This package adds one as a plugin:
convolution blocks read local time-frequency patterns, a bidirectional GRU reads how they
unfold over the window (the rhythm), and a sigmoid head predicts the target. Keras is
imported only when the model is built, so `bench plugins` stays fast.
"""

from __future__ import annotations

from bench import hookimpl
from bench.specs import ModelSpec

__version__ = "0.1.0"


def build(input_shape, profile):
    """The uncompiled CRNN for windows of shape (n_mels, frames, 2)."""
    from bench_crnn.model import build_crnn

    return build_crnn(input_shape, profile)


@hookimpl
def bench_models() -> list[ModelSpec]:
    return [ModelSpec("crnn", "conv blocks on mid/side mel, then a bidirectional GRU over time", "mel", build)]
