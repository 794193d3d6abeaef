"""Built-in data sources."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import SourceSpec
from plugins.sources import ballroom, deam, emomusic, fma, folder, giantsteps, music4all, pmemo, synthetic


@hookimpl
def bench_sources() -> list[SourceSpec]:
    modules = (synthetic, folder, fma, deam, emomusic, pmemo, ballroom, giantsteps, music4all)
    return [SourceSpec(module.NAME, module.DESCRIPTION, module.load, module.OPTIONS) for module in modules]
