"""Build a model of a diagnostic plugin in tools/diagnostics at the quick profile's mel shape."""

from __future__ import annotations

from pathlib import Path

from bench.profiles import QUICK
from bench.registry import load_registry

DIAGNOSTICS = Path(__file__).parents[2] / "tools" / "diagnostics"
MEL_SHAPE = (24, 157, 2)


def builder(plugin: str):
    """A function building any model registered with tools/diagnostics/`plugin` loaded."""
    registry = load_registry([str(DIAGNOSTICS / plugin)])

    def build(model: str):
        spec = registry.models[model]
        return spec.build(MEL_SHAPE, QUICK.with_knobs(spec.knobs))

    return build


def convolutions(model) -> list[tuple[str, tuple]]:
    """Each convolution layer's name and kernel shape."""
    return [(layer.name, layer.kernel.shape) for layer in model.layers if "Conv" in type(layer).__name__]
