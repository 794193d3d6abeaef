"""`bench export`: a run's records as one tidy table (`--per`, `--format`), or sent to a tracker
(`--to mlflow|tensorboard`)."""

from __future__ import annotations

import argparse

from bench.cli import terminal
from bench.cli.arguments import add_common, results_dir
from bench.cli.commands.tidy import add_tidy_arguments, export_tidy
from bench.specs import CommandSpec
from bench.text import shown


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", nargs="?", help="run id, unique prefix, folder or name (default: the latest)")
    p.add_argument(
        "--to",
        action="append",
        choices=["mlflow", "tensorboard"],
        help="MLflow ($MLFLOW_TRACKING_URI, else a SQLite store in the results folder) or TensorBoard event files "
        "in the run folder; repeatable. Trials already logged are not logged again. Without it: a tidy table",
    )
    add_tidy_arguments(p)
    add_common(p)


def cmd_export(args) -> int:
    from bench.results.store import find_run
    from bench.results.tracking import log_run

    if not args.to:
        return export_tidy(args)
    store = find_run(results_dir(args), args.run)
    count = log_run(store, args.to)
    terminal.console.print(f"Exported run {shown(store.id)}: {count} trial records to {', '.join(args.to)}")
    return 0


COMMANDS = [
    CommandSpec(
        "export",
        "a run's records as a tidy table (a row per trial or per test song, CSV or parquet), or sent to MLflow or "
        "TensorBoard (what `bench run --log-to` does while it runs)",
        _export_arguments,
        cmd_export,
    ),
]
