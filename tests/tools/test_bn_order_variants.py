"""The diagnostic BatchNorm-order variants (tools/diagnostics/bn_order_variants.py) keep the built
model's convolutions and head and move only each BatchNorm in front of its ReLU; the built model
is left as it was."""

from __future__ import annotations

import pytest
from diagnostic_models import builder, convolutions


@pytest.mark.parametrize("name", ["2dspec", "3dspec"])
def test_a_variant_puts_batchnorm_before_relu_and_changes_nothing_else(name):
    build = builder("bn_order_variants.py")

    def dense(model):
        return [(layer.name, layer.kernel.shape) for layer in model.layers if type(layer).__name__ == "Dense"]

    variant, built = build(f"{name}-bnfirst"), build(name)
    assert convolutions(variant) == convolutions(built) and dense(variant) == dense(built)
    for conv in (layer for layer in variant.layers if "Conv" in type(layer).__name__):
        assert not conv.use_bias and conv.get_config()["activation"] == "linear"
        relu = variant.get_layer(f"{conv.name}_relu")
        assert relu.input is variant.get_layer(f"{conv.name}_bn").output
    assert all(layer.get_config()["activation"] == "relu" for layer in built.layers if "Conv" in type(layer).__name__)
    assert not [layer for layer in built.layers if layer.name.endswith("_relu")]
