"""The CRNN: 2 x (Conv2D -> BatchNorm -> ReLU -> MaxPool) over (n_mels, frames, 2), the
frequency and channel axes folded into one vector per time step, a bidirectional GRU over
the time steps, then Dense -> Dropout -> Dense(1, sigmoid).

Only `keras.layers` with built-in serialization: it runs on TensorFlow, JAX and torch and
round-trips through the `.keras` format without custom objects. At the quick profile the
input is (24, 157, 2) and the model has about 13k parameters.
"""

from __future__ import annotations

import keras
from keras import layers

POOL = (2, 2)  # (mel bands, frames) per block
BLOCKS = 2


def build_crnn(input_shape: tuple[int, ...], profile) -> keras.Model:
    """Conv blocks -> GRU over time -> sigmoid; widths follow the profile."""
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[-1] != 2:
        raise ValueError(f"crnn expects (n_mels, frames, 2) windows. Received: input_shape={input_shape}")
    smallest = POOL[0] ** BLOCKS
    if shape[0] < smallest or shape[1] < smallest:
        raise ValueError(f"crnn needs at least {smallest} mel bands and frames. Received: input_shape={input_shape}")

    inputs = keras.Input(shape=shape, name="mel")
    x = inputs
    for block in range(1, BLOCKS + 1):
        x = layers.Conv2D(profile.filters * block, (3, 3), padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"conv{block}_bn")(x)
        x = layers.Activation("relu", name=f"conv{block}_relu")(x)
        x = layers.MaxPooling2D(POOL, padding="same", name=f"pool{block}")(x)
    _, bands, steps, channels = x.shape
    x = layers.Permute((2, 1, 3), name="time_first")(x)  # (steps, bands, channels)
    x = layers.Reshape((steps, bands * channels), name="sequence")(x)
    x = layers.Bidirectional(layers.GRU(profile.dense_units), name="bigru")(x)
    x = layers.Dense(profile.dense_units, activation="relu", name="fc")(x)
    x = layers.Dropout(profile.dropout, name="fc_dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name="crnn")
