"""The diagnostic head variants (tools/diagnostics/pooling_variants.py) keep the built model up to
its time pooling and change only what their names say."""

from __future__ import annotations

import pytest
from diagnostic_models import builder, convolutions


@pytest.mark.parametrize("name", ["2dspec", "3dspec"])
def test_a_variant_keeps_the_convolutions_and_changes_the_head(name):
    build = builder("pooling_variants.py")

    def kinds(model, prefix):
        return [type(layer).__name__ for layer in model.layers if type(layer).__name__.startswith(prefix)]

    built, stats, nodrop = build(name), build(f"{name}-stats"), build(f"{name}-nodrop")
    for variant in (stats, nodrop):
        assert convolutions(variant) == convolutions(built)
    assert len(kinds(built, "Dropout")) == 3 and not kinds(nodrop, "Dropout") and len(kinds(stats, "Dropout")) == 3
    width = built.get_layer("fc1").kernel.shape[0]
    assert stats.get_layer("fc1").kernel.shape[0] == 2 * width  # mean and spread of every pooled feature
    assert nodrop.get_layer("fc1").kernel.shape[0] == width
