"""The spectrogram CNNs with BatchNorm before the ReLU, for `score_on_validation.py`
(docs/results.md, "BatchNorm order and the paper's widths"): `2dspec-bnfirst`/`3dspec-bnfirst`
run every convolution as Conv (no bias) -> BatchNorm -> ReLU instead of the built Conv -> ReLU ->
BatchNorm. The paper added batch normalisation without saying where; layers, kernels and pools
stay as built."""

from __future__ import annotations

import importlib

from bench import hookimpl
from bench.specs import ModelSpec
from bench_plugins.models import KNOBS

MODELS = {"2dspec": "cnn_2dspec", "3dspec": "cnn_3dspec"}


def _conv_bn_relu(module):
    """A drop-in for the module's `_conv` (2dspec's takes no kernel: its KERNEL is fixed)."""

    def conv(x, filters, *rest):
        from keras import layers

        kernel, name = (module.KERNEL, rest[0]) if len(rest) == 1 else rest
        conv_layer = layers.Conv2D if len(kernel) == 2 else layers.Conv3D
        x = conv_layer(filters, kernel, padding="same", use_bias=False, kernel_initializer="he_normal", name=name)(x)
        x = layers.BatchNormalization(momentum=module.BN_MOMENTUM, name=f"{name}_bn")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    return conv


def _build(module_name: str):
    def build(input_shape, profile):
        module = importlib.import_module(f"bench_plugins.models.{module_name}")
        built_conv, module._conv = module._conv, _conv_bn_relu(module)
        try:
            return module.build(input_shape, profile)
        finally:
            module._conv = built_conv

    return build


@hookimpl
def bench_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            f"{name}-bnfirst", f"{name}, BatchNorm before ReLU (diagnostic)", "mel", _build(module), knobs=KNOBS[module]
        )
        for name, module in MODELS.items()
    ]
