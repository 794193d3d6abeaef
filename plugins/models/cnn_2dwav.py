"""2DWav: parallel 2D CNNs over the waveform cut into stacked slices (seed paper, section 4.2).

Each channel's waveform is cut into `wav_slices` consecutive slices stacked into a 2D map
`(slices, n // slices)`, so a kernel sees neighbouring samples along one axis and the same
moment in neighbouring slices along the other. The flow is 1DWav's: per channel,
[Conv2D (45, 10) -> MaxPool2D (3, 2) -> BatchNorm] twice, then concatenate, two dense
layers and a sigmoid output.

The model also reads a window that arrives already stacked, `(slices, samples, 2)`: the
`wav-beats` feature's rows, one beat each (registered as the opt-in model `2dwav-beats`).
"""

from __future__ import annotations

import keras
from keras import layers

from bench.profiles import Profile
from bench_plugins.models.layers import BN_MOMENTUM, ChannelSelect, StackSlices, check_stereo_input

NAME = "2dwav"

KERNEL = (45, 10)  # (slices, samples), from the paper
POOL = (3, 2)


def build(input_shape: tuple[int, ...], profile: Profile) -> keras.Model:
    """The uncompiled 2DWav model for windows of shape `(n_samples, 2)`, cut here into
    wav_slices slices, or `(slices, samples, 2)`, already stacked (wav-beats)."""
    shape = check_stereo_input(input_shape, rank=(2, 3), model=NAME)
    stacked_input = len(shape) == 3
    slices = profile.knob("wav_slices")
    per_slice = shape[1] if stacked_input else shape[0] // slices
    if per_slice < KERNEL[1]:
        cut = "" if stacked_input else f" cuts the window into wav_slices={slices} slices and"
        raise ValueError(
            f"Model {NAME}{cut} needs at least {KERNEL[1]} samples in each slice. Received: input_shape={input_shape}"
        )

    inputs = keras.Input(shape=input_shape, name="wav")
    # (n, 2) -> (slices, n // slices, 2); the tail that does not fill a slice is dropped.
    stacked = inputs if stacked_input else StackSlices(slices, axis=0, name="stack_slices")(inputs)
    mid = _branch(stacked, 0, "mid", profile)
    side = _branch(stacked, 1, "side", profile)
    x = layers.Concatenate(name="concat")([mid, side])

    # Head
    for i in (1, 2):
        x = layers.Dense(profile.dense_units, activation="relu", kernel_initializer="he_normal", name=f"fc{i}")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name="cnn_2dwav")


def _branch(stacked, index: int, channel: str, profile: Profile):
    """One channel's conv stack, pooled to a fixed-size vector."""
    x = ChannelSelect(index, name=f"{channel}_select")(stacked)
    # Block 1: strides only along the samples axis; slices are already far apart in time.
    x = _conv_block(x, f"{channel}_block1", profile, strides=(1, profile.knob("wav_stride")))
    # Block 2
    x = _conv_block(x, f"{channel}_block2", profile, strides=(1, 1))
    # Global average pooling, not Flatten: at paper size a branch ends with a 12 x 1654 map
    # of filters, which flattened would put ~20M weights per branch in the first dense layer.
    return layers.GlobalAveragePooling2D(name=f"{channel}_gap")(x)


def _conv_block(x, name: str, profile: Profile, strides: tuple[int, int]):
    """Conv2D -> MaxPool2D -> BatchNorm, the paper's order."""
    x = layers.Conv2D(
        profile.filters,
        KERNEL,
        strides=strides,
        padding="same",
        activation="relu",
        kernel_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    x = layers.MaxPooling2D(POOL, padding="same", name=f"{name}_pool")(x)
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
