"""`bench validate` and `bench cache`: the commands that look at input data and the feature cache."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from bench.cli import terminal
from bench.cli.arguments import add_common, add_short, add_source, add_window, source_options
from bench.profiles import DEFAULT_PROFILE, PROFILES, window_overrides
from bench.specs import CommandSpec
from bench.text import shown


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    add_source(p)
    p.add_argument(
        "--target",
        action="append",
        metavar="LABEL",
        help="label column(s) to check (default: every target of the source)",
    )
    p.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help="the window length and rate to check against",
    )
    add_window(p)
    add_short(p)
    p.add_argument(
        "--checksums", choices=["write", "verify"], help="write an md5 index of the files, or verify them against it"
    )
    p.add_argument(
        "--checksum-file",
        type=Path,
        metavar="FILE",
        help="the md5 index (default: checksums.md5 in the folder holding every file)",
    )
    add_common(p)


def cmd_validate(args) -> int:
    from bench.cli.validate import validate
    from bench.features.cache import default_cache_dir
    from bench.profiles import get_profile
    from bench.registry import load_registry

    source = load_registry(args.plugin).get("source", args.source)
    options = {
        **source_options(args),
        "profile": get_profile(args.profile).replace(**window_overrides(args.window_seconds, args.hop_seconds)),
        "cache_dir": args.cache_dir or default_cache_dir(),
        "targets": args.target or [],
    }
    return validate(source, options, args.short, args.checksums, args.checksum_file, terminal.console)


def _cache_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=["info", "clear", "prune", "forget-failures"],
        help="forget-failures: forget which clips a feature failed on, so the next run tries them again",
    )
    p.add_argument("--older-than", type=float, metavar="DAYS", help="prune: entries last used more than DAYS ago")
    p.add_argument("--max-size", type=float, metavar="GIB", help="prune: least recently used entries down to GIB")
    add_common(p)


def cmd_cache(args) -> int:
    from bench.features.cache import FeatureCache, default_cache_dir

    console = terminal.console
    cache = FeatureCache(args.cache_dir or default_cache_dir())
    if args.action == "clear":
        cache.clear()
        console.print(f"Cleared {cache.root}")
        return 0
    if args.action == "forget-failures":
        forgotten = cache.forget_failures()
        console.print(f"Forgot {forgotten} remembered feature failure(s) in {shown(str(cache.root))}")
        return 0
    if args.action == "prune":
        if args.older_than is None and args.max_size is None:
            raise SystemExit("bench cache prune: say what to prune: --older-than DAYS and/or --max-size GIB")
        max_bytes = None if args.max_size is None else int(args.max_size * 2**30)
        removed, freed = cache.prune(args.older_than, max_bytes)
        console.print(f"Pruned {removed} feature entries ({freed / 2**20:.1f} MiB) from {cache.root}")
        return 0
    info = cache.info()
    table = Table(title=f"Feature cache at {cache.root}", title_justify="left")
    for column in ("area", "files", "MiB"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for area, entry in info.items():
        table.add_row(area, str(entry["files"]), f"{entry['bytes'] / 2**20:.1f}")
    total = sum(e["bytes"] for e in info.values())
    table.add_row("[bold]total[/]", str(sum(e["files"] for e in info.values())), f"[bold]{total / 2**20:.1f}[/]")
    console.print(table)
    return 0


COMMANDS = [
    CommandSpec(
        "validate",
        "decode every file of a source, list every problem; exit 1 if a run would skip or drop any",
        _validate_arguments,
        cmd_validate,
        reads_source=True,
    ),
    CommandSpec(
        "cache",
        "show, prune or clear the feature cache, or forget its remembered failures",
        _cache_arguments,
        cmd_cache,
    ),
]
