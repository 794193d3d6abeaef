"""Small layers and input checks shared by the CNN models (seed paper, section 4.2).

Written with `keras.layers` and `keras.ops` only, so the models run on any Keras backend
(TensorFlow, JAX, torch). Every layer is registered for serialization, which lets a trained
model round-trip through the `.keras` format; `keras.layers.Lambda` would not.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

# Keras's default 0.99 needs ~500 steps before the moving statistics used at inference forget
# their initial values; a quick-profile trial takes ~150 steps, so inference would run on
# stale statistics. 0.9 converges in ~40 steps and costs nothing at paper scale.
BN_MOMENTUM = 0.9

PACKAGE = "audio_feature_bench"


def check_stereo_input(input_shape: Sequence[int], rank: int | tuple[int, ...], model: str) -> tuple[int, ...]:
    """Check a per-window input shape (batch axis excluded) and return it as a tuple.

    Every feature is channels-last with exactly two channels (mid, side); `rank` (one, or
    the ranks a model accepts) counts the channel axis.
    """
    shape, ranks = tuple(input_shape), (rank,) if isinstance(rank, int) else tuple(rank)
    if len(shape) not in ranks:
        raise ValueError(
            f"Model {model} expects an input of rank {' or '.join(map(str, ranks))} (batch axis excluded, "
            f"channels last). Received: input_shape={input_shape}"
        )
    if any(dim is None or dim < 1 for dim in shape):
        raise ValueError(
            f"Model {model} needs every input dimension known and positive. Received: input_shape={input_shape}"
        )
    if shape[-1] != 2:
        raise ValueError(
            f"Model {model} expects 2 channels (mid, side) on the last axis. Received: input_shape={input_shape}"
        )
    return shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class ChannelSelect(keras.layers.Layer):
    """Pick one channel of a channels-last tensor, keeping a channel axis of size 1.

    Feeds the separate mid and side branches of the waveform models.
    """

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        return inputs[..., self.index : self.index + 1]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@keras.saving.register_keras_serializable(package=PACKAGE)
class StackSlices(keras.layers.Layer):
    """Cut one time axis into `slices` equal consecutive pieces and stack them in front.

    `axis` counts from the first non-batch axis. The axis is first cropped to a multiple of
    `slices` (the tail is dropped), then slice `i` holds steps `i * L .. (i + 1) * L - 1`:

        (n, 1)              axis=0 -> (slices, n // slices, 1)               2dwav
        (n_mels, frames, 2) axis=1 -> (slices, n_mels, frames // slices, 2)  3dspec
    """

    def __init__(self, slices: int, axis: int, **kwargs):
        super().__init__(**kwargs)
        self.slices = int(slices)
        self.axis = int(axis)

    def build(self, input_shape):
        rank = len(input_shape) - 1
        if not 0 <= self.axis < rank:
            raise ValueError(
                f"StackSlices axis must index a non-batch axis (0..{rank - 1}). "
                f"Received: axis={self.axis}, input_shape={input_shape}"
            )
        if input_shape[self.axis + 1] < self.slices:
            raise ValueError(
                f"StackSlices needs at least {self.slices} steps to cut {self.slices} slices. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        # Static sizes: the reshape below needs every non-batch dimension known.
        dims = list(inputs.shape[1:])
        length = dims[self.axis] // self.slices
        crop = [slice(None)] * (len(dims) + 1)
        crop[self.axis + 1] = slice(0, self.slices * length)
        x = inputs[tuple(crop)]
        split = dims[: self.axis] + [self.slices, length] + dims[self.axis + 1 :]
        x = ops.reshape(x, (-1, *split))
        return ops.moveaxis(x, self.axis + 1, 1)

    def compute_output_shape(self, input_shape):
        dims = list(input_shape[1:])
        length = dims[self.axis] // self.slices
        dims[self.axis] = length
        return (input_shape[0], self.slices, *dims)

    def get_config(self):
        return {**super().get_config(), "slices": self.slices, "axis": self.axis}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AxisMean(keras.layers.Layer):
    """Average over some non-batch axes and flatten the rest.

    The spectrogram models average over their time axes only, so each mel band keeps its
    own features: where a sound sits in frequency matters, where it sits inside a window
    does not.
    """

    def __init__(self, axes: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        self.axes = tuple(int(a) for a in axes)

    def call(self, inputs):
        x = ops.mean(inputs, axis=tuple(a + 1 for a in self.axes))
        return ops.reshape(x, (-1, *self.compute_output_shape(inputs.shape)[1:]))

    def compute_output_shape(self, input_shape):
        kept = [d for i, d in enumerate(input_shape[1:]) if i not in self.axes]
        size = 1
        for dim in kept:
            size *= dim
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes)}
