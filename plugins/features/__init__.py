"""Built-in feature transforms: `wav`, `mel` and the `dsp` descriptors."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FeatureSpec
from plugins.features import dsp, mel, wav


@hookimpl
def bench_features() -> list[FeatureSpec]:
    return [
        FeatureSpec(m.NAME, m.DESCRIPTION, m.VERSION, m.compute, m.shape, m.PROFILE_FIELDS) for m in (wav, mel, dsp)
    ]
