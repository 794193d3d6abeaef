"""Built-in data sources, and the hearing test the synthetic one makes possible."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import CommandSpec, SourceSpec
from bench_plugins.sources import (
    ballroom,
    deam,
    emomusic,
    fma,
    folder,
    giantsteps,
    hearing,
    music4all,
    pmemo,
    synthetic,
)


@hookimpl
def bench_sources() -> list[SourceSpec]:
    modules = (synthetic, folder, fma, deam, emomusic, pmemo, ballroom, giantsteps, music4all)
    return [
        SourceSpec(module.NAME, module.DESCRIPTION, module.load, module.OPTIONS, getattr(module, "KNOBS", ()))
        for module in modules
    ]


@hookimpl
def bench_commands() -> list[CommandSpec]:
    return [hearing.COMMAND]
