"""Built-in data sources, and the hearing test the synthetic one makes possible."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import CommandSpec, SourceSpec
from plugins.sources import fma, folder, hearing, synthetic


@hookimpl
def bench_sources() -> list[SourceSpec]:
    return [
        SourceSpec(module.NAME, module.DESCRIPTION, module.load, module.OPTIONS) for module in (synthetic, folder, fma)
    ]


@hookimpl
def bench_commands() -> list[CommandSpec]:
    return [hearing.COMMAND]
