"""The leaderboard's numbers as data: CSV or JSON for spreadsheets, notebooks and CI.

One row per (target, model, feature, split) cell, straight from `bench.results.stats.summarize`
(the same cells the boards render): mean and std over seeds of every metric, the 95%
bootstrap interval of the primary metric, the paired differences to each baseline, the
mean costs and the number of runs. Full precision; a number that does not exist (a std of
one seed, an interval over fewer than `bench.results.stats.MIN_TEST_SONGS` distinct songs, whose
count `ci.songs` gives) is an empty CSV field or a JSON null.
"""

from __future__ import annotations

import csv
import io
import json
import math

from bench.results.leaderboard import context, run_cells
from bench.results.stats import Cell
from bench.results.store import RunStore


def _number(value):
    """A JSON-safe float: None for NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


CELL_KEYS = ("target", "model", "feature", "split", "baseline", "leaky", "runs", "failed")  # a cell's plain fields


def cell_row(cell: Cell, primary: str) -> dict:
    """One cell as nested plain data (`primary`: the metric its interval and differences are of)."""
    return {
        "target": cell.target,
        "model": cell.model,
        "feature": cell.feature,
        "split": cell.split,
        "baseline": cell.baseline,
        "leaky": cell.leaky,
        "runs": cell.runs,
        "failed": len(cell.failed),
        "mean": {k: _number(v) for k, v in cell.mean.items()},
        "std": {k: _number(v) for k, v in cell.std.items()},
        "ci": {
            "metric": f"song.{primary}",
            "low": _number(cell.interval[0]),
            "high": _number(cell.interval[1]),
            "songs": cell.songs,
        },
        "paired": [  # each baseline's, then the probe's (when one ran)
            {
                "baseline": p.baseline,
                "difference": _number(p.difference),
                "low": _number(p.low),
                "high": _number(p.high),
                "songs": p.songs,
                "distinct_songs": p.distinct,
                "verdict": p.verdict,
            }
            for p in cell.paired + ([cell.probe] if cell.probe else [])
        ],
        "cost": {k: _number(v) for k, v in cell.cost.items()},
    }


def flat_row(row: dict) -> dict:
    """A nested cell row with dotted column names: mean.song.r2, ci.low, vs.mean.difference."""
    flat = {k: row[k] for k in CELL_KEYS}
    for group in ("mean", "std", "cost"):
        flat.update({f"{group}.{k}": v for k, v in row[group].items()})
    flat.update({f"ci.{k}": v for k, v in row["ci"].items()})
    for paired in row["paired"]:
        flat.update({f"vs.{paired['baseline']}.{k}": v for k, v in paired.items() if k != "baseline"})
    return flat


def to_csv(rows: list[dict]) -> str:
    """CSV with a header of every column any row has (empty where a row lacks one)."""
    flat = [flat_row(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for r in flat:
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in r.items()})
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet would run as a formula (it starts with = + - @ tab or CR) gets a
    leading single quote (OWASP's CSV injection rule), a CR becomes a quoted line break; numbers
    are written as they are."""
    if not isinstance(value, str):
        return value
    value = f"'{value}" if value.startswith(FORMULA_STARTS) else value
    return value.replace("\r", "\n")  # a bare CR is no line end the writer quotes: it would split the row


def to_json(store: RunStore, rows: list[dict], cells: list[Cell]) -> str:
    """The rows plus the run's context: id, source, seeds, profile, backend, versions."""
    info = store.run_info()
    run = {
        k: getattr(info, k)
        for k in ("run_id", "status", "started", "finished", "backend", "versions", "git_commit", "source")
    }
    run.update(context=context(info, cells), profile=info.profile["name"], seeds=info.seeds, folds=info.folds)
    return json.dumps({"run": run, "primary": f"song.{info.primary}", "cells": rows}, indent=1, allow_nan=False) + "\n"


def export(store: RunStore, fmt: str) -> str:
    """The run's leaderboard cells as "csv" or "json" text."""
    cells = run_cells(store)
    rows = [cell_row(c, store.run_info().primary) for c in cells]
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(store, rows, cells)
    raise ValueError(f"export format must be 'csv' or 'json'. Received: {fmt!r}")
