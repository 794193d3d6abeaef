"""The core's own commands, registered through the `bench_commands` hook like a plugin's."""

from __future__ import annotations

from bench import hookimpl
from bench.cli.commands import data, experiments, export, inspect, results, run
from bench.specs import CommandSpec


@hookimpl
def bench_commands() -> list[CommandSpec]:
    return [
        *run.COMMANDS,
        *data.COMMANDS,
        *results.COMMANDS,
        *experiments.COMMANDS,
        *inspect.COMMANDS,
        *export.COMMANDS,
    ]
