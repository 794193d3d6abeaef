"""Plugin-declared command-line options: every source flag comes from a `SourceSpec.options`,
one argument group per source, so the core command line names no source-specific flag.

`preparse` finds the command and the `--plugin` modules before the full parser exists (their
sources' flags must be on it); `add_source_groups` puts every source's flags on a parser;
`source_options` reads back the chosen source's values and refuses another source's flags.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from bench.registry import PluginError, Registry
from bench.specs import OptionSpec


def preparse(argv: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand and the `--plugin` modules of a command line, ignoring everything else."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("command", nargs="?")
    parser.add_argument("--plugin", action="append", default=[])
    known, _ = parser.parse_known_args(argv)
    return known.command, known.plugin


def provider(registry: Registry, kind: str, name: str) -> str:
    """The plugin that registered the `kind` called `name`."""
    return next((p.name for p in registry.plugins if name in p.provides.get(kind, ())), "unknown")


def _meaning(option: OptionSpec) -> str:
    choices = f", one of {', '.join(map(str, option.choices))}" if option.choices else ""
    return f"{option.type.__name__}, default {option.default!r}{choices}"


def declared(registry: Registry) -> dict[str, list[tuple[str, OptionSpec]]]:
    """Every source flag by name, with the sources declaring it (the first one owns its help).
    Sources may share a flag declared with one meaning; two meanings raise, naming both plugins."""
    flags: dict[str, list[tuple[str, OptionSpec]]] = defaultdict(list)
    for source, spec in registry.sources.items():
        for option in spec.options:
            for other, earlier in flags[option.name]:
                if other == source or earlier.meaning() != option.meaning():
                    raise PluginError(
                        f"{option.flag} is declared twice with different meanings: by source {other!r} "
                        f"(plugin {provider(registry, 'source', other)}) as {_meaning(earlier)}, and by source "
                        f"{source!r} (plugin {provider(registry, 'source', source)}) as {_meaning(option)}. "
                        "Rename one of them."
                    )
            flags[option.name].append((source, option))
    return dict(flags)


def _argument(option: OptionSpec) -> dict:
    """argparse keywords for an option; an absent flag leaves no attribute, so `given` is exact."""
    text = option.help.replace("%", "%%")
    if option.default is not None and option.type is not bool:
        text += f" (default: {option.default})"
    keywords = {"dest": option.key, "default": argparse.SUPPRESS, "help": text}
    if option.type is bool:
        return {**keywords, "action": "store_true"}
    kind = str if option.type is Path else option.type
    return {**keywords, "type": kind, "metavar": option.metavar, "choices": option.choices}


def add_source_groups(parser: argparse.ArgumentParser, registry: Registry) -> None:
    """One argument group per registered source, holding the flags it declares."""
    flags = declared(registry)
    for name, spec in registry.sources.items():
        shared = [o.flag for o in spec.options if flags[o.name][0][0] != name]
        note = f" Also reads {', '.join(shared)} (shown above)." if shared else ""
        group = parser.add_argument_group(f"source {name}", f"{spec.description}.{note}".replace("%", "%%"))
        for option in spec.options:
            if flags[option.name][0][0] != name:
                continue
            try:
                group.add_argument(option.flag, **_argument(option))
            except argparse.ArgumentError:
                raise PluginError(
                    f"source {name!r} (plugin {provider(registry, 'source', name)}) declares {option.flag}, "
                    f"which `{parser.prog}` already uses for itself. Rename the source's option."
                ) from None


def source_options(args: argparse.Namespace, registry: Registry, source: str) -> dict:
    """The chosen source's option values (declared defaults filled in, paths made absolute so a
    resumed run still finds them); a flag only other sources declare is a ValueError."""
    spec = registry.get("source", source)
    mine = {option.name for option in spec.options}
    for name, owners in declared(registry).items():
        if name not in mine and hasattr(args, owners[0][1].key):
            sources = ", ".join(owner for owner, _ in owners)
            plural = "s" if len(owners) > 1 else ""
            raise ValueError(f"--{name} is an option of source{plural} {sources}; this run uses source {source}")
    values = {}
    for option in spec.options:
        value = getattr(args, option.key, option.default)
        if value is None:
            continue
        values[option.key] = str(Path(value).expanduser().resolve()) if option.type is Path else value
    return values
