"""2DSpec: a 2D CNN over the mel spectrogram, mid and side as two channels (seed paper, 4.2).

Unlike the waveform models, mid and side are read together as the two channels of one
`(n_mels, frames, 2)` input: 4 x Conv2D (3, 4) -> MaxPool2D (2, 2) -> 3 x Conv2D (3, 4)
-> MaxPool2D (2, 2) -> 3 dense layers and a sigmoid output. The paper added batch
normalization and dropout without saying where; here BatchNorm follows every conv and
Dropout follows every hidden dense layer.
"""

from __future__ import annotations

import keras
from keras import layers

from bench.profiles import Profile
from bench_plugins.models.layers import BN_MOMENTUM, AxisMean, check_stereo_input

NAME = "2dspec"

KERNEL = (3, 4)  # (mel bands, frames), from the paper


def build(input_shape: tuple[int, ...], profile: Profile) -> keras.Model:
    """The uncompiled 2DSpec model for windows of shape `(n_mels, frames, 2)`."""
    n_mels, frames, _ = check_stereo_input(input_shape, rank=3, model=NAME)
    if n_mels < KERNEL[0] or frames < KERNEL[1]:
        raise ValueError(
            f"Model {NAME} needs at least {KERNEL[0]} mel bands and {KERNEL[1]} frames. "
            f"Received: input_shape={input_shape}"
        )

    inputs = keras.Input(shape=input_shape, name="mel")
    # Block 1
    x = inputs
    for i in range(1, 5):
        x = _conv(x, profile.filters, f"block1_conv{i}")
    x = layers.MaxPooling2D((2, 2), padding="same", name="block1_pool")(x)
    # Block 2
    for i in range(1, 4):
        x = _conv(x, 2 * profile.filters, f"block2_conv{i}")
    x = layers.MaxPooling2D((2, 2), padding="same", name="block2_pool")(x)

    # Average over time only, not Flatten and not a global average: each mel band keeps its
    # own features (frequency position matters), and the head stays small at paper size,
    # where a flattened 6 x 646 x 32 map would put ~8M weights in the first dense layer.
    x = AxisMean(axes=(1,), name="time_mean")(x)

    # Head
    for i in range(1, 4):
        x = layers.Dense(profile.dense_units, activation="relu", kernel_initializer="he_normal", name=f"fc{i}")(x)
        x = layers.Dropout(profile.dropout, name=f"fc{i}_dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name="cnn_2dspec")


def _conv(x, filters: int, name: str):
    """Conv2D (3, 4) -> BatchNorm."""
    x = layers.Conv2D(
        filters,
        KERNEL,
        padding="same",
        activation="relu",
        kernel_initializer="he_normal",
        name=name,
    )(x)
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
