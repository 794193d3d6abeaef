"""`bench config RUN` and `bench runs`: a run's configuration as a file `--config` reads, and
the list of runs."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from bench.cli import terminal
from bench.cli.arguments import add_common, config_flags, results_dir, to_toml
from bench.specs import CommandSpec


def _config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run id, unique prefix, folder or name")
    add_common(p)


def cmd_config(args) -> int:
    from bench.results.store import find_run

    store = find_run(results_dir(args), args.run)
    print(f"# bench run --config: the configuration of run {store.id}")
    print(to_toml(config_flags(store.info()["config"])), end="")
    return 0


def _runs_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object per run, in a list")
    add_common(p)


def cmd_runs(args) -> int:
    from bench.results.runs import list_runs

    rows = list_runs(results_dir(args))
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=1))
        return 0
    table = Table(title=f"Runs in {results_dir(args)}", title_justify="left", header_style="bold")
    for column in ("id", "name", "started", "status", "models", "splits", "seeds", "source", "best cell", "wall s"):
        table.add_column(column, overflow="fold")
    for r in rows:
        name = r.name or ""
        if r.tags:
            name += " " + " ".join(f"{k}={v}" for k, v in r.tags.items())
        table.add_row(
            r.id,
            name,
            (r.started or "")[:19],
            r.status,
            ", ".join(r.models),
            ", ".join(r.splits),
            str(r.seeds or ""),
            r.source or "",
            r.best or "–",
            f"{r.wall_s:.0f}" if r.wall_s is not None else "–",
        )
    terminal.console.print(table)
    return 0


COMMANDS = [
    CommandSpec(
        "config", "print a run's configuration as TOML that `bench run --config` reads", _config_arguments, cmd_config
    ),
    CommandSpec("runs", "list the runs: id, name, status, what ran, the best cell", _runs_arguments, cmd_runs),
]
