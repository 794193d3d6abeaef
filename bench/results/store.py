"""The results store: `results/<run-id>/run.json` plus one JSON record per trial, the one place
they are written and read. Trial records go in and come out as `bench.results.records.TrialRecord`
(`TrialRecord.from_dict` upgrades older shapes); run.json as `RunInfo` from `run_info()`, or as
its JSON object from `info()` for the run pipeline, which writes run.json's fields as it goes.

Every file is written atomically (temporary file, then rename), so an interrupted run leaves
only whole records behind and `bench run --resume` can trust whatever it finds. Readers still
meet damaged files (a disk that filled up, a hand edit, a copy cut short): a trial record that
is not valid JSON is skipped with one warning naming it, and a run.json that is not is one
error naming it.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from bench.files import atomic_write_bytes, file_name
from bench.results.records import SCHEMA_VERSION, RunInfo, TrialRecord


def default_results_dir() -> Path:
    return Path(os.environ.get("AFB_RESULTS_DIR", "results"))


def new_run_id() -> str:
    """Sortable by start time to the millisecond (runs started in one second keep their order:
    "the latest run" is the last one started), unique across parallel starts."""
    started = time.time()
    millisecond = min(999, int(started % 1 * 1000))
    return f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.{millisecond:03d}-{secrets.token_hex(2)}"


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=1, default=str) + "\n").encode())


class UnreadableRecord(ValueError):
    """A results file that is not a JSON object; the message names the file."""


def read_json(path: Path) -> dict:
    """A JSON object from `path`; UnreadableRecord naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableRecord(f"{path}: not valid JSON ({exc}); the file is damaged or was cut short") from None
    if not isinstance(data, dict):
        raise UnreadableRecord(f"{path}: holds a JSON {type(data).__name__}, not an object")
    return data


RECORD_TYPES = {"id": str, "status": str, "target": str, "model": str, "feature": str, "split": str, "seed": int}
RECORD_OPTIONAL_TYPES = {"metrics": dict, "songs": dict, "timing": dict, "history": dict, "error": str}
RUN_TYPES = {"config": dict, "profile": dict}
RUN_OPTIONAL_TYPES = {
    "run_id": str,
    "status": str,
    "targets": dict,
    "source": dict,
    "problems": list,
    "plugins": list,
    "metrics": list,
    "splits": list,
}

# the profile's fields every board title formats as numbers
PROFILE_NUMBERS = dict.fromkeys(("window_seconds", "hop_seconds", "train_hop_seconds"), (int, float))


def _named(kind: type | tuple[type, ...]) -> str:
    return "number" if isinstance(kind, tuple) else kind.__name__


def check_shape(data: dict, path: Path, required: dict, optional: dict) -> dict:
    """`data` when its fields have the types readers rely on; UnreadableRecord naming the file and field."""
    for key, kind in required.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool) and kind is int:
            raise UnreadableRecord(f"{path}: its {key!r} is not a {_named(kind)}; the file is damaged or foreign")
    for key, kind in optional.items():
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise UnreadableRecord(f"{path}: its {key!r} is not a {_named(kind)}; the file is damaged or foreign")
    levels = data.get("metrics") or {} if optional.get("metrics") is dict else {}
    if not all(isinstance(v, dict) for v in levels.values()):
        raise UnreadableRecord(f"{path}: its 'metrics' is not one object per level; the file is damaged or foreign")
    songs = data.get("songs") or {}
    if not all(isinstance(songs.get(k), list) for k in ("track", "true", "pred")) and songs:
        raise UnreadableRecord(f"{path}: its 'songs' is not three lists; the file is damaged or foreign")
    return data


class RunStore:
    """One run's folder."""

    def __init__(self, run_dir: Path | str):
        self.dir = Path(run_dir)
        self.trials_dir = self.dir / "trials"
        self._warned: set[Path] = set()

    def _skip(self, problem: UnreadableRecord, path: Path) -> None:
        """Warn once per file (boards, report and export read the records several times)."""
        if path not in self._warned:
            self._warned.add(path)
            print(f"warning: skipped a trial record: {problem}", file=sys.stderr)

    @property
    def id(self) -> str:
        return self.dir.name

    def inside(self, relative: str | Path) -> Path:
        """`relative` (a path a record names) resolved inside this run's folder; ValueError when it
        leads outside it (an absolute path, `..`, a symlink out)."""
        root = self.dir.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"{self.dir}: the path {str(relative)!r} it names leads outside the run folder; refused")
        return path

    def record_path(self, trial_id: str) -> Path:
        """trials/<the id as a file name>.json (bench.files.file_name: any id stays in trials/)."""
        return self.trials_dir / f"{file_name(trial_id)}.json"

    def write_record(self, record: TrialRecord) -> None:
        """Write a trial's record, in the current schema version."""
        write_json(self.record_path(record.id), record.to_dict())

    def rewrite_record(self, record: TrialRecord) -> None:
        """Replace a record read from this run where it lies: under its encoded name, or under
        the plain id an older bench wrote it as (so no second copy appears)."""
        legacy = self.trials_dir / f"{record.id}.json"
        plain = legacy.parent == self.trials_dir and legacy.is_file() and not self.record_path(record.id).exists()
        write_json(legacy if plain else self.record_path(record.id), record.to_dict())

    def read_record(self, trial_id: str) -> TrialRecord | None:
        """The trial's record; None when it has none or it is unreadable (a resumed run redoes it)."""
        path = self.record_path(trial_id)
        try:
            return TrialRecord.from_dict(check_shape(read_json(path), path, RECORD_TYPES, RECORD_OPTIONAL_TYPES))
        except (FileNotFoundError, UnreadableRecord):
            return None

    def trials(self) -> list[TrialRecord]:
        """Every readable trial record, in file-name order; unreadable ones, and ones not where their
        id puts them (a subfolder, a renamed file), are skipped with a warning naming them."""
        if not self.trials_dir.exists():
            return []
        for path in sorted(p for p in self.trials_dir.rglob("*.json") if p.parent != self.trials_dir):
            self._skip(
                UnreadableRecord(
                    f"{path}: a record in a subfolder of trials/ (written by an older bench "
                    "from a name holding '/'); it is not read"
                ),
                path,
            )
        records = []
        for path in sorted(self.trials_dir.glob("*.json")):
            try:
                records.append(TrialRecord.from_dict(self._placed(read_json(path), path)))
            except UnreadableRecord as problem:
                self._skip(problem, path)
        return records

    def _placed(self, record: dict, path: Path) -> dict:
        """`record`, read from `path`, when its id names that file (or, from before names were
        encoded, the id itself is the file name); UnreadableRecord saying where it belongs otherwise."""
        check_shape(record, path, RECORD_TYPES, RECORD_OPTIONAL_TYPES)
        trial_id = record["id"]
        if path.name not in (f"{file_name(trial_id)}.json", f"{trial_id}.json"):
            raise UnreadableRecord(
                f"{path}: holds the record of trial {trial_id!r}, whose file is {self.record_path(trial_id).name}; "
                "it is not read (a renamed or copied file?)"
            )
        return record

    def info(self) -> dict:
        """run.json (UnreadableRecord naming it when it is damaged or of the wrong shape)."""
        path = self.dir / "run.json"
        data = check_shape(read_json(path), path, RUN_TYPES, RUN_OPTIONAL_TYPES)
        check_shape(data["profile"], path, {}, PROFILE_NUMBERS)
        return data

    def run_info(self) -> RunInfo:
        """run.json, typed."""
        return RunInfo.from_dict(self.info())

    def write_info(self, info: RunInfo | dict) -> None:
        data = info.to_dict() if isinstance(info, RunInfo) else {**info, "schema_version": SCHEMA_VERSION}
        write_json(self.dir / "run.json", data)

    def update_info(self, **changes) -> dict:
        info = self.info()
        info.update(changes)
        self.write_info(info)
        return info


def named(runs: list[Path], name: str) -> list[Path]:
    """The runs whose `bench run --name` is `name`."""
    found = []
    for path in runs:
        try:
            if (read_json(path / "run.json").get("config") or {}).get("name") == name:
                found.append(path)
        except (OSError, UnreadableRecord):
            continue
    return found


def find_run(results_dir: Path, run: str | None) -> RunStore:
    """The run named `run` (a folder, a run id, a unique prefix or its --name; an exact id wins), or the latest one."""
    if run and Path(run).is_dir() and (Path(run) / "run.json").exists():
        return RunStore(run)
    runs = sorted(p for p in Path(results_dir).glob("*") if (p / "run.json").exists())
    if not runs:
        raise FileNotFoundError(f"No runs in {results_dir}/. Start one with `bench run --all`.")
    if run is None:
        return RunStore(runs[-1])
    exact = [p for p in runs if p.name == run]
    matches = exact or [p for p in runs if p.name.startswith(run)] or named(runs, run)[-1:]  # a reused name: the latest
    if len(matches) != 1:
        names = ", ".join(p.name for p in runs[-5:])
        what = "matches several runs" if matches else "matches no run"
        raise FileNotFoundError(f"{run!r} {what} in {results_dir}/. Recent runs: {names}.")
    return RunStore(matches[0])
