"""Built-in data sources."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import SourceSpec
from plugins.sources import fma, folder, synthetic


@hookimpl
def bench_sources() -> list[SourceSpec]:
    return [
        SourceSpec(module.NAME, module.DESCRIPTION, module.load, module.OPTIONS) for module in (synthetic, folder, fma)
    ]
