"""The Python API: run an experiment, load runs, and read their numbers as pandas DataFrames.

    import bench
    run = bench.run({"model": ["mean"], "seeds": 2, "songs": 12, "seconds": 6})
    run.leaderboard()   # one row per cell
    run.trials()        # one row per trial
    run.predictions()   # one row per test song and trial

`bench.run` takes what `bench run` takes: a dict whose keys are its long flags (dashes as
underscores, a list for a repeatable flag) or the path of a TOML file (`bench run --config`),
and keyword overrides on top. See docs/api.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any


class Run:
    """A run on disk (results/<run-id>/), read as tables."""

    def __init__(self, store):
        self.store = store

    @property
    def id(self) -> str:
        return self.store.id

    @property
    def dir(self) -> Path:
        return self.store.dir

    @property
    def info(self):
        """run.json, typed (bench.results.records.RunInfo)."""
        return self.store.run_info()

    def __repr__(self) -> str:
        return f"Run({self.id!r}, status={self.info.status!r})"

    def leaderboard(self):
        """One row per (target, model, feature, split) cell: runs, mean, std, the 95% interval of
        the primary song-level metric, and the paired difference with each baseline (and probe):
        `bench export`'s cells (bench.results.export.cell_row), one column per number."""
        import pandas as pd

        from bench.results.export import CELL_KEYS, cell_row
        from bench.results.leaderboard import run_cells

        primary = self.info.primary
        rows = []
        for cell in run_cells(self.store):
            data = cell_row(cell, primary)
            row = {k: data[k] for k in CELL_KEYS}
            row.update(
                metric=primary,
                mean=data["mean"].get(f"song.{primary}"),
                std=data["std"].get(f"song.{primary}"),
                ci_low=data["ci"]["low"],
                ci_high=data["ci"]["high"],
                songs=data["ci"]["songs"],
            )
            for i, paired in enumerate(data["paired"]):
                name = "probe" if i == len(cell.paired) else paired["baseline"]
                row[f"vs_{name}"] = paired["difference"]
                row.update({f"vs_{name}_{k}": paired[k] for k in ("low", "high", "verdict")})
            rows.append(row)
        return pd.DataFrame(rows)

    def trials(self):
        """One row per trial: its cell, seed and fold, status, every recorded metric
        (`song_r2`, `window_mae`, ...), costs and error."""
        import pandas as pd

        from bench.results.tidy import trial_rows

        return pd.DataFrame(trial_rows(self.store))

    def predictions(self):
        """One row per test song and successful trial: track, artist (its group), true and
        predicted value (the mean or median of its windows), with the trial's cell, seed and fold."""
        import pandas as pd

        from bench.results.tidy import song_rows

        return pd.DataFrame(song_rows(self.store))


def _values(config: dict | str | os.PathLike | None, overrides: dict[str, Any]) -> dict[str, Any]:
    from bench.cli.arguments import read_config

    values = read_config(os.fspath(config)) if isinstance(config, (str, os.PathLike)) else dict(config or {})
    return {**values, **overrides}


@contextlib.contextmanager
def _main_not_reimported():
    """Hide a `__main__` file that does not exist (a script piped to `python -`, `<stdin>`), which
    multiprocessing's fork server would otherwise try to import in every worker."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def run(config: dict | str | os.PathLike | None = None, **overrides) -> Run:
    """Run an experiment as `bench run` would and return it: `config` is a dict of its long
    flags (dashes as underscores) or a TOML file's path; keyword arguments override it."""
    from rich.console import Console

    from bench.cli.app import build_parser
    from bench.cli.arguments import check_keys, flags_argv, run_config
    from bench.pipeline.runner import run as run_trials
    from bench.registry import load_registry

    values = _values(config, overrides)
    plugins = values.get("plugin") or []
    parser = build_parser(load_registry(plugins if isinstance(plugins, list) else [plugins]))
    command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["run"]
    check_keys(command, values, "bench.run")
    if not (values.get("all") or values.get("model") or values.get("resume")):
        raise ValueError("bench.run: say what to run: all=True, or model=[NAME, ...], or resume=RUN_ID")
    args = parser.parse_args(["run", *flags_argv(values)])
    with _main_not_reimported():
        store = run_trials(run_config(args), Console(file=sys.stderr), resume=args.resume)
    return Run(store)


def load_run(run_or_path: str | os.PathLike | None = None, results_dir: str | os.PathLike | None = None) -> Run:
    """A finished (or running) run by id, unique prefix, name or folder; the latest when None."""
    from bench.results.store import default_results_dir, find_run

    run_or_path = str(run_or_path) if run_or_path is not None else None
    return Run(find_run(Path(results_dir) if results_dir else default_results_dir(), run_or_path))


def runs(results_dir: str | os.PathLike | None = None):
    """Every run under `results_dir` as a DataFrame, oldest first (what `bench runs` lists)."""
    import pandas as pd

    from bench.results.runs import list_runs
    from bench.results.store import default_results_dir

    return pd.DataFrame([r.to_dict() for r in list_runs(Path(results_dir) if results_dir else default_results_dir())])
