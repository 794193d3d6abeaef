"""`bench export RUN --to mlflow|tensorboard`: a finished run's records sent to a tracker."""

from __future__ import annotations

import argparse

from rich.markup import escape

from bench.cli import terminal
from bench.cli.arguments import add_common, results_dir
from bench.specs import CommandSpec


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run id, unique prefix, folder or name")
    p.add_argument(
        "--to",
        action="append",
        required=True,
        choices=["mlflow", "tensorboard"],
        help="MLflow ($MLFLOW_TRACKING_URI, else a SQLite store in the results folder) or TensorBoard event files "
        "in the run folder; repeatable. Trials already logged are not logged again",
    )
    add_common(p)


def cmd_export(args) -> int:
    from bench.results.store import find_run
    from bench.results.tracking import log_run

    store = find_run(results_dir(args), args.run)
    count = log_run(store, args.to)
    terminal.console.print(f"Exported run {escape(store.id)}: {count} trial records to {', '.join(args.to)}")
    return 0


COMMANDS = [
    CommandSpec(
        "export",
        "send a finished run's trials to MLflow or TensorBoard (what `bench run --log-to` does while it runs)",
        _export_arguments,
        cmd_export,
    ),
]
