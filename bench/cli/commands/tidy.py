"""`bench export RUN --per trial|song --format csv|parquet`: a run's records as one tidy table
(the tidy half of `bench export`; bench.cli.commands.export owns the command)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli import terminal
from bench.cli.arguments import results_dir
from bench.text import shown

FORMATS = ("csv", "parquet")


def add_tidy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--per",
        choices=["trial", "song"],
        default="trial",
        help="one row per trial (cell, seed, fold, status, every metric, costs) or per test song and trial (track, "
        "artist, true and predicted value); default: trial",
    )
    p.add_argument(
        "--format", choices=FORMATS, default="csv", help="csv (default) or parquet (needs pyarrow installed)"
    )
    p.add_argument("--output", type=Path, metavar="FILE", help="where to write (default: stdout; parquet needs FILE)")


def tidy_table(store, per: str):
    """The run's trials (`per="trial"`) or test-song predictions (`per="song"`) as a DataFrame."""
    import pandas as pd

    from bench.results.tidy import song_rows, trial_rows

    return pd.DataFrame(trial_rows(store) if per == "trial" else song_rows(store))


def write_table(table, fmt: str, output: Path | None) -> None:
    """`table` as CSV (text a spreadsheet would run as a formula is quoted) or parquet."""
    from bench.files import atomic_write_bytes
    from bench.results.export import csv_cell

    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise SystemExit(
                "bench export --format parquet needs pyarrow, which is not installed: "
                "pip install 'audio-feature-bench[parquet]' (or use --format csv)"
            ) from None
        if output is None:
            raise SystemExit("bench export --format parquet: name the file with --output FILE (parquet is binary)")
        table.to_parquet(output, index=False)
        return
    text = table.map(csv_cell).to_csv(index=False, lineterminator="\n")
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))


def export_tidy(args) -> int:
    from bench.results.store import find_run

    store = find_run(results_dir(args), args.run)
    table = tidy_table(store, args.per)
    write_table(table, args.format, args.output)
    if args.output is not None:
        terminal.console.print(
            f"Wrote {len(table)} rows (one per {args.per}) of run {shown(store.id)} to {shown(str(args.output))}"
        )
    return 0
