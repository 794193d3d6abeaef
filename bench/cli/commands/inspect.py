"""`bench plugins` and `bench check-plugin`: the commands that look at the installed plugins."""

from __future__ import annotations

import argparse

from rich.table import Table

from bench.cli import terminal
from bench.cli.arguments import add_common
from bench.profiles import DEFAULT_PROFILE, PROFILES
from bench.specs import CommandSpec
from bench.text import shown


def cmd_plugins(args) -> int:
    from bench.registry import load_registry

    registry = load_registry(args.plugin)
    table = Table(title="Plugins (entry-point group 'bench')", title_justify="left")
    for column in ("plugin", "provides", "origin", "version"):
        table.add_column(column)
    for info in registry.plugins:
        provides = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in info.provides.items())
        table.add_row(*(shown(cell) for cell in (info.name, provides, info.origin, info.version)))
    for broken in registry.broken:
        name, distribution, version = (
            shown(cell) for cell in (broken.entry_point.split(" = ")[0], broken.distribution, broken.version)
        )
        table.add_row(name, f"[red]broken:[/] {shown(broken.error)}", distribution, version)
    terminal.console.print(table)
    return 0


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="a model's or feature's registered name")
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="the sizes to check at (default quick)"
    )
    add_common(p)


def cmd_check_plugin(args) -> int:
    from bench.cli.check_plugin import check_plugin, render
    from bench.profiles import get_profile
    from bench.registry import load_registry

    kind, results = check_plugin(load_registry(args.plugin), args.name, get_profile(args.profile))
    return 0 if render(args.name, results, terminal.console, kind) else 1


COMMANDS = [
    CommandSpec("plugins", "list every plugin, what it provides, its origin and version", add_common, cmd_plugins),
    CommandSpec(
        "check-plugin",
        "validate a model or feature plugin: the feature on real windows, then build, shapes, output range, "
        "training, predict, save/load",
        _check_arguments,
        cmd_check_plugin,
    ),
]
