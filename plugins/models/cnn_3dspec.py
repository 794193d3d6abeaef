"""3DSpec: a 3D CNN over the mel spectrogram cut into stacked time slices (seed paper, 4.2).

The `(n_mels, frames, 2)` spectrogram is cut into `spec_slices` consecutive time slices
stacked into `(slices, n_mels, frames // slices, 2)`, as 2DWav does with the waveform, so a
kernel sees neighbouring frames and the same frames in neighbouring slices. Then, following
2DSpec: 2 x Conv3D (3, 2, 2) -> MaxPool3D (2, 2, 2) -> Conv3D (3, 2, 3), Conv3D (2, 3, 3)
-> MaxPool3D (1, 2, 2) -> 2 x Conv3D (2, 2, 2) -> 3 dense layers and a sigmoid output,
with BatchNorm after every conv and Dropout after every hidden dense layer.

The model also reads a window that arrives already stacked, `(slices, n_mels, frames, 2)`:
the `mel-beats` feature's rows, one beat each (registered as the opt-in model `3dspec-beats`).
"""

from __future__ import annotations

import keras
from keras import layers

from bench.profiles import Profile
from bench_plugins.models.layers import BN_MOMENTUM, AxisMean, StackSlices, check_stereo_input

NAME = "3dspec"


def build(input_shape: tuple[int, ...], profile: Profile) -> keras.Model:
    """The uncompiled 3DSpec model for windows of shape `(n_mels, frames, 2)`, cut here into
    spec_slices time slices, or `(slices, n_mels, frames, 2)`, already stacked (mel-beats)."""
    shape = check_stereo_input(input_shape, rank=(3, 4), model=NAME)
    stacked_input = len(shape) == 4
    slices = profile.knob("spec_slices")
    if not stacked_input and shape[1] < slices:
        raise ValueError(
            f"Model {NAME} cuts the window into spec_slices={slices} time slices "
            f"and needs at least one frame in each. Received: input_shape={input_shape}"
        )

    inputs = keras.Input(shape=input_shape, name="mel")
    # (n_mels, frames, 2) -> (slices, n_mels, frames // slices, 2); leftover frames dropped.
    x = inputs if stacked_input else StackSlices(slices, axis=1, name="stack_slices")(inputs)
    # Block 1
    x = _conv(x, profile.filters, (3, 2, 2), "block1_conv1")
    x = _conv(x, profile.filters, (3, 2, 2), "block1_conv2")
    x = layers.MaxPooling3D((2, 2, 2), padding="same", name="block1_pool")(x)
    # Block 2
    x = _conv(x, 2 * profile.filters, (3, 2, 3), "block2_conv1")
    x = _conv(x, 2 * profile.filters, (2, 3, 3), "block2_conv2")
    x = layers.MaxPooling3D((1, 2, 2), padding="same", name="block2_pool")(x)
    # Block 3: filters double after each pool, VGG-style.
    x = _conv(x, 4 * profile.filters, (2, 2, 2), "block3_conv1")
    x = _conv(x, 4 * profile.filters, (2, 2, 2), "block3_conv2")

    # Average over both time axes (slice index and frames within a slice), keeping the mel
    # axis, as in 2DSpec: a flattened 19 x 6 x 17 x 64 map at paper size would put ~8M
    # weights in the first dense layer.
    x = AxisMean(axes=(0, 2), name="time_mean")(x)

    # Head
    for i in range(1, 4):
        x = layers.Dense(profile.dense_units, activation="relu", kernel_initializer="he_normal", name=f"fc{i}")(x)
        x = layers.Dropout(profile.dropout, name=f"fc{i}_dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name="cnn_3dspec")


def _conv(x, filters: int, kernel: tuple[int, int, int], name: str):
    """Conv3D -> BatchNorm."""
    x = layers.Conv3D(
        filters,
        kernel,
        padding="same",
        activation="relu",
        kernel_initializer="he_normal",
        name=name,
    )(x)
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
