"""The results store: `results/<run-id>/run.json` plus one JSON record per trial.

Every file is written atomically (temporary file, then rename), so an interrupted run leaves
only whole records behind and `bench run --resume` can trust whatever it finds.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from bench.cache import atomic_write_bytes


def default_results_dir() -> Path:
    return Path(os.environ.get("AFB_RESULTS_DIR", "results"))


def new_run_id() -> str:
    """Sortable by time, unique across parallel starts."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def write_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=1, default=str) + "\n").encode())


class RunStore:
    """One run's folder."""

    def __init__(self, run_dir: Path | str):
        self.dir = Path(run_dir)
        self.trials_dir = self.dir / "trials"

    @property
    def id(self) -> str:
        return self.dir.name

    def record_path(self, trial_id: str) -> Path:
        return self.trials_dir / f"{trial_id}.json"

    def write_record(self, record: dict) -> None:
        write_json(self.record_path(record["id"]), record)

    def read_record(self, trial_id: str) -> dict | None:
        try:
            return json.loads(self.record_path(trial_id).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def records(self) -> list[dict]:
        if not self.trials_dir.exists():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.trials_dir.glob("*.json"))]

    def info(self) -> dict:
        return json.loads((self.dir / "run.json").read_text())

    def write_info(self, info: dict) -> None:
        write_json(self.dir / "run.json", info)

    def update_info(self, **changes) -> dict:
        info = self.info()
        info.update(changes)
        self.write_info(info)
        return info


def find_run(results_dir: Path, run: str | None) -> RunStore:
    """The run named `run` (a folder, a run id or a unique prefix), or the latest one."""
    if run and Path(run).is_dir() and (Path(run) / "run.json").exists():
        return RunStore(run)
    runs = sorted(p for p in Path(results_dir).glob("*") if (p / "run.json").exists())
    if not runs:
        raise FileNotFoundError(f"No runs in {results_dir}/. Start one with `bench run --all`.")
    if run is None:
        return RunStore(runs[-1])
    matches = [p for p in runs if p.name.startswith(run)]
    if len(matches) != 1:
        names = ", ".join(p.name for p in runs[-5:])
        what = "matches several runs" if matches else "matches no run"
        raise FileNotFoundError(f"{run!r} {what} in {results_dir}/. Recent runs: {names}.")
    return RunStore(matches[0])
