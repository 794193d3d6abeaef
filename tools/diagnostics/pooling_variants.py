"""The spectrogram CNNs with other heads, for `score_on_validation.py` (docs/results.md, "Head
variants"): `2dspec-nodrop`/`3dspec-nodrop` drop the head's dropout; `-stats` pools each mel
band's features over time by their mean and their mean absolute deviation (beat strength is a
spread over time, which a time mean alone can only reach through the convolutions);
`-stats-nodrop` both. The topology up to the pooling is the paper's, as built."""

from __future__ import annotations

import importlib

from bench import hookimpl
from bench.specs import ModelSpec
from bench_plugins.models import KNOBS

VARIANTS = {"stats": ("stats", True), "nodrop": ("mean", False), "stats-nodrop": ("stats", False)}
MODELS = {"2dspec": "cnn_2dspec", "3dspec": "cnn_3dspec"}


def _build(module_name: str, pooling: str, dropout: bool):
    def build(input_shape, profile):
        from keras import Model, layers, ops

        from bench_plugins.models.layers import AxisMean

        base = importlib.import_module(f"bench_plugins.models.{module_name}").build(input_shape, profile)
        pooled = base.get_layer("time_mean")
        features, axes = pooled.input, pooled.axes
        x = AxisMean(axes=axes, name="time_mean")(features)
        if pooling == "stats":
            over = tuple(a + 1 for a in axes)
            # |t - mean| (smoothed at 0, as measured)
            spread = layers.Lambda(lambda t: ops.sqrt(ops.square(t - ops.mean(t, axis=over, keepdims=True)) + 1e-6))(
                features
            )
            x = layers.Concatenate()([x, AxisMean(axes=axes, name="time_spread")(spread)])
        for i in range(1, 4):
            x = layers.Dense(profile.dense_units, activation="relu", kernel_initializer="he_normal", name=f"fc{i}")(x)
            if dropout:
                x = layers.Dropout(profile.dropout, name=f"fc{i}_dropout")(x)
        return Model(base.input, layers.Dense(1, activation="sigmoid", name="predictions")(x))

    return build


@hookimpl
def bench_models() -> list[ModelSpec]:
    return [
        ModelSpec(f"{name}-{tag}", f"{name}, {tag} head (diagnostic)", "mel", _build(module, *how), knobs=KNOBS[module])
        for name, module in MODELS.items()
        for tag, how in VARIANTS.items()
    ]
