"""musicnn in Keras 3: the graph of musicnn's `build_musicnn`, its trained weights read from the
TF1 checkpoint and assigned to named layers.

A port of musicnn 0.1.0's `models.py` (front-end, mid-end, back-end of `build_musicnn` with
`num_filt_midend=64, num_units_backend=200`, as `MSD_musicnn` and `MTT_musicnn` were trained),
musicnn (c) Music Technology Group, Universitat Pompeu Fabra 2019, code by Jordi Pons, ISC
licence (docs/pretrained.md quotes it). Pons and Serra, "musicnn: pre-trained convolutional
neural networks for music audio tagging", ISMIR 2019 late-breaking demo.

Layers are keras.layers only, so the network runs on every Keras backend; the checkpoint is
read with `tf.train.load_checkpoint` (TensorFlow is the harness's own dependency). Layer names
follow musicnn's blocks; CHECKPOINT_SCOPES maps each to the TF1 variable scope it was saved in.
Inference only: musicnn's dropout layers are identities there and are left out.
"""

from __future__ import annotations

from pathlib import Path

from bench_plugins.features.musicnn import harness
from bench_plugins.features.musicnn.spectrogram import N_MELS

TIMBRAL_FILTERS = int(1.6 * 128)  # musicnn's num_filt=1.6
TEMPORAL_FILTERS = int(1.6 * 32)
TIMBRAL = {"timbral_74": int(0.4 * N_MELS), "timbral_77": int(0.7 * N_MELS)}  # 7 x 38 and 7 x 67 kernels
TEMPORAL = {"temporal_128": 128, "temporal_64": 64, "temporal_32": 32}  # 128/64/32 x 1 kernels
MIDEND_FILTERS = 64
BACKEND_UNITS = 200  # the penultimate layer: the embedding
TAGS = 50

# Keras layer -> the TF1 variable scope musicnn's checkpoint holds its weights under (creation order).
CHECKPOINT_SCOPES = {
    "frontend_bn": "batch_normalization",
    "timbral_74_conv": "conv2d",
    "timbral_74_bn": "batch_normalization_1",
    "timbral_77_conv": "conv2d_1",
    "timbral_77_bn": "batch_normalization_2",
    "temporal_128_conv": "conv2d_2",
    "temporal_128_bn": "batch_normalization_3",
    "temporal_64_conv": "conv2d_3",
    "temporal_64_bn": "batch_normalization_4",
    "temporal_32_conv": "conv2d_4",
    "temporal_32_bn": "batch_normalization_5",
    "midend_conv1": "conv2d_5",
    "midend_bn1": "batch_normalization_6",
    "midend_conv2": "conv2d_6",
    "midend_bn2": "batch_normalization_7",
    "midend_conv3": "conv2d_7",
    "midend_bn3": "batch_normalization_8",
    "backend_pool_bn": "batch_normalization_9",
    "backend_dense": "dense",
    "penultimate": "batch_normalization_10",
    "tagger": "dense_1",
}
# A layer's weights in Keras's order, by the name each has in the checkpoint.
VARIABLES = {
    "Conv2D": ("kernel", "bias"),
    "Dense": ("kernel", "bias"),
    "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
}
TRAINING_ONLY = ("Adam", "beta1_power", "beta2_power")  # optimiser state the checkpoint also holds


class CheckpointError(ValueError):
    """A checkpoint does not fit the port; the message names the file, variable and layer."""


def _frequency_block(x, name: str, kernel: tuple[int, int], filters: int, padding: str):
    """musicnn's timbral/tempo block: Conv2D + ReLU, batch norm, max over all frequencies -> (T, filters)."""
    layers = harness.keras().layers
    x = layers.Conv2D(filters, kernel, padding=padding, activation="relu", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=f"{name}_bn")(x)
    x = layers.MaxPooling2D((1, x.shape[2]), name=f"{name}_pool")(x)
    return layers.Reshape((-1, filters), name=f"{name}_squeeze")(x)


def _midend_layer(x, index: int):
    """One dense mid-end layer: time-padded 7 x width Conv2D + ReLU, batch norm, back to (T, 64, 1)."""
    layers = harness.keras().layers
    x = layers.ZeroPadding2D(((3, 3), (0, 0)), name=f"midend_pad{index}")(x)
    x = layers.Conv2D(MIDEND_FILTERS, (7, x.shape[2]), activation="relu", name=f"midend_conv{index}")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=f"midend_bn{index}")(x)
    return layers.Permute((1, 3, 2), name=f"midend_transpose{index}")(x)


def build(frames: int | None = None):
    """musicnn with untrained weights: (batch, frames, 96) log-mel -> {"penultimate": (batch,
    200), "tags": (batch, 50) sigmoid}. Any number of frames (the models were trained on 187)."""
    keras = harness.keras()
    layers = keras.layers
    spectrogram = keras.Input((frames, N_MELS), name="log_mel")
    x = layers.Reshape((-1, N_MELS, 1), name="expand")(spectrogram)
    x = layers.BatchNormalization(epsilon=1e-3, name="frontend_bn")(x)
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)), name="timbral_pad")(x)  # 'same' in time only
    front = [_frequency_block(padded, n, (7, width), TIMBRAL_FILTERS, "valid") for n, width in TIMBRAL.items()]
    front += [_frequency_block(x, n, (length, 1), TEMPORAL_FILTERS, "same") for n, length in TEMPORAL.items()]
    front = layers.Concatenate(axis=2, name="frontend")(front)  # (T, 561)
    width = front.shape[-1]
    front = layers.Reshape((-1, width, 1), name="frontend_expand")(front)

    conv1 = _midend_layer(front, 1)
    res2 = layers.Add(name="midend_res2")([_midend_layer(conv1, 2), conv1])
    res3 = layers.Add(name="midend_res3")([_midend_layer(res2, 3), res2])
    mid = layers.Concatenate(axis=2, name="midend")([front, conv1, res2, res3])  # dense connections: (T, 753, 1)

    features = layers.Reshape((-1, mid.shape[2]), name="midend_squeeze")(mid)
    highest = layers.GlobalMaxPooling1D(name="backend_max_pool")(features)
    mean = layers.GlobalAveragePooling1D(name="backend_mean_pool")(features)
    pooled = layers.Concatenate(axis=-1, name="backend_pool")(
        [layers.Reshape((-1, 1), name="backend_max")(highest), layers.Reshape((-1, 1), name="backend_mean")(mean)]
    )
    pooled = layers.Flatten(name="backend_flatten")(pooled)  # max and mean interleaved, as TF1's flatten of (753, 2)
    pooled = layers.BatchNormalization(epsilon=1e-3, name="backend_pool_bn")(pooled)
    dense = layers.Dense(BACKEND_UNITS, activation="relu", name="backend_dense")(pooled)
    penultimate = layers.BatchNormalization(epsilon=1e-3, name="penultimate")(dense)
    tags = layers.Dense(TAGS, activation="sigmoid", name="tagger")(penultimate)
    return keras.Model(spectrogram, {"penultimate": penultimate, "tags": tags}, name="musicnn")


def checkpoint_variables(prefix: Path | str) -> dict[str, tuple[int, ...]]:
    """The model variables of a TF checkpoint (optimiser state left out), with their shapes."""
    import tensorflow as tf

    try:
        shapes = tf.train.load_checkpoint(str(prefix)).get_variable_to_shape_map()
    except (ValueError, tf.errors.OpError) as exc:
        raise CheckpointError(f"musicnn checkpoint {prefix}: unreadable ({type(exc).__name__}: {exc})") from None
    return {k: tuple(v) for k, v in shapes.items() if not any(part in k for part in TRAINING_ONLY)}


def load_checkpoint(model, prefix: Path | str):
    """Assign musicnn's TF1 checkpoint at `prefix` (`<folder>/model`, as tf.train.load_checkpoint
    reads it) to the named layers of `model`; every model variable of the checkpoint must be used."""
    import tensorflow as tf

    available = checkpoint_variables(prefix)
    reader = tf.train.load_checkpoint(str(prefix))
    used = set()
    for layer_name, scope in CHECKPOINT_SCOPES.items():
        layer = model.get_layer(layer_name)
        values = []
        for weight, variable in zip(layer.weights, VARIABLES[type(layer).__name__], strict=True):
            key = f"{scope}/{variable}"
            if key not in available:
                raise CheckpointError(
                    f"musicnn checkpoint {prefix}: no variable {key!r} for layer {layer_name!r}. "
                    f"Received variables: {', '.join(sorted(available))}"
                )
            if available[key] != tuple(weight.shape):
                raise CheckpointError(
                    f"musicnn checkpoint {prefix}: variable {key!r} has shape {available[key]}, but layer "
                    f"{layer_name!r} expects {tuple(weight.shape)}. Received: {available[key]}"
                )
            values.append(reader.get_tensor(key))
            used.add(key)
        layer.set_weights(values)
    unused = sorted(set(available) - used)
    if unused:
        raise CheckpointError(f"musicnn checkpoint {prefix}: variables the port does not use: {', '.join(unused)}")
    return model


def pretrained(prefix: Path | str, frames: int | None = None):
    """musicnn built and loaded from the checkpoint at `prefix`."""
    return load_checkpoint(build(frames), prefix)
