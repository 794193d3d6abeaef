"""1DWav: parallel 1D CNNs over the raw mid and side waveforms (seed paper, section 4.2).

Each channel gets its own branch of [Conv1D -> MaxPool1D(2) -> BatchNorm] twice; the
branches are concatenated and read by two dense layers and a sigmoid output.
"""

from __future__ import annotations

import keras
from keras import layers

from bench.profiles import Profile
from bench_plugins.models.layers import BN_MOMENTUM, ChannelSelect, check_stereo_input

NAME = "1dwav"


def build(input_shape: tuple[int, ...], profile: Profile) -> keras.Model:
    """The uncompiled 1DWav model for windows of shape `(n_samples, 2)`."""
    n_samples, _ = check_stereo_input(input_shape, rank=2, model=NAME)
    kernel = profile.knob("wav_kernel")
    if n_samples < kernel:
        raise ValueError(
            f"Model {NAME} needs at least wav_kernel={kernel} samples. Received: input_shape={input_shape}"
        )

    inputs = keras.Input(shape=input_shape, name="wav")
    mid = _branch(inputs, 0, "mid", profile)
    side = _branch(inputs, 1, "side", profile)
    x = layers.Concatenate(name="concat")([mid, side])

    # Head
    for i in (1, 2):
        x = layers.Dense(profile.dense_units, activation="relu", kernel_initializer="he_normal", name=f"fc{i}")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name="cnn_1dwav")


def _branch(inputs, index: int, channel: str, profile: Profile):
    """One channel's conv stack, pooled to a fixed-size vector."""
    x = ChannelSelect(index, name=f"{channel}_select")(inputs)
    # Block 1: only the first conv strides (the wav_stride knob).
    x = _conv_block(x, f"{channel}_block1", profile, strides=profile.knob("wav_stride"))
    # Block 2
    x = _conv_block(x, f"{channel}_block2", profile, strides=1)
    # Global average pooling, not Flatten: at paper size a branch ends with 165375 steps x
    # filters, and flattening that would put ~170M weights in the first dense layer. A
    # kernel-100 filter bank averaged over the window still describes its texture.
    return layers.GlobalAveragePooling1D(name=f"{channel}_gap")(x)


def _conv_block(x, name: str, profile: Profile, strides: int):
    """Conv1D -> MaxPool1D(2) -> BatchNorm, the paper's order."""
    x = layers.Conv1D(
        profile.filters,
        profile.knob("wav_kernel"),
        strides=strides,
        padding="same",
        activation="relu",
        kernel_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    x = layers.MaxPooling1D(2, padding="same", name=f"{name}_pool")(x)
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
