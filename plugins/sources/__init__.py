"""Built-in data sources."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import SourceSpec
from plugins.sources import synthetic


@hookimpl
def bench_sources() -> list[SourceSpec]:
    return [SourceSpec(synthetic.NAME, synthetic.DESCRIPTION, synthetic.load)]
