"""The diagnostic head variants (tools/diagnostics/pooling_variants.py) keep the built model up to
its time pooling and change only what their names say."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.profiles import QUICK
from bench.registry import load_registry

VARIANTS = str(Path(__file__).parents[2] / "tools" / "diagnostics" / "pooling_variants.py")


@pytest.mark.parametrize("name", ["2dspec", "3dspec"])
def test_a_variant_keeps_the_convolutions_and_changes_the_head(name):
    registry = load_registry([VARIANTS])

    def build(model):
        spec = registry.models[model]
        return spec.build((24, 157, 2), QUICK.with_knobs(spec.knobs))

    def kinds(model, prefix):
        return [type(layer).__name__ for layer in model.layers if type(layer).__name__.startswith(prefix)]

    built, stats, nodrop = build(name), build(f"{name}-stats"), build(f"{name}-nodrop")
    convs = [(layer.name, layer.kernel.shape) for layer in built.layers if "Conv" in type(layer).__name__]
    for variant in (stats, nodrop):
        assert [(layer.name, layer.kernel.shape) for layer in variant.layers if "Conv" in type(layer).__name__] == convs
    assert len(kinds(built, "Dropout")) == 3 and not kinds(nodrop, "Dropout") and len(kinds(stats, "Dropout")) == 3
    width = built.get_layer("fc1").kernel.shape[0]
    assert stats.get_layer("fc1").kernel.shape[0] == 2 * width  # mean and spread of every pooled feature
    assert nodrop.get_layer("fc1").kernel.shape[0] == width
