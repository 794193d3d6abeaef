"""Finding runs: one summary line per run (id, name, date, status, what it ran, its best cell,
wall time), for `bench runs` and `bench.runs()`. Read from run.json and the trial records'
recorded metrics alone (no bootstrap)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.results.stats import cell_key
from bench.results.store import RunStore, UnreadableRecord


@dataclass
class RunRow:
    """What `bench runs` shows of one run."""

    id: str
    name: str | None
    started: str | None
    status: str
    models: list[str]
    splits: list[str]
    seeds: int | None
    source: str | None
    best: str | None  # "model/feature/split: R² 0.712"
    wall_s: float | None
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def best_cell(store: RunStore) -> str | None:
    """The cell with the best mean of the run's primary song-level metric, as one short string."""
    info = store.run_info()
    primary, higher = info.primary, info.higher_is_better(info.primary)
    values: dict = defaultdict(list)
    for record in store.trials():
        value = ((record.metrics or {}).get("song") or {}).get(primary) if record.ok else None
        if value is not None and math.isfinite(value):
            values[cell_key(record)].append(value)
    if not values:
        return None
    means = {key: sum(v) / len(v) for key, v in values.items()}
    key = (max if higher else min)(means, key=lambda k: means[k])
    target, model, feature, split = key
    return f"{target}/{model}/{feature}/{split}: {primary} {means[key]:.3f}"


def run_row(store: RunStore) -> RunRow:
    info = store.run_info()
    trials = store.trials()
    config = info.config
    return RunRow(
        id=store.id,
        name=config.get("name") or None,
        started=info.started,
        status=info.status,
        models=sorted({r.model for r in trials}) or list(config.get("models") or []),
        splits=sorted({r.split for r in trials}) or list(config.get("splits") or []),
        seeds=config.get("seeds"),
        source=info.source.get("description") or config.get("source"),
        best=best_cell(store),
        wall_s=info.wall_s,
        tags=dict(config.get("tags") or {}),
    )


def list_runs(results_dir: Path | str) -> list[RunRow]:
    """Every readable run under `results_dir`, oldest first (a damaged run.json is left out)."""
    rows = []
    for folder in sorted(p for p in Path(results_dir).glob("*") if (p / "run.json").exists()):
        try:
            rows.append(run_row(RunStore(folder)))
        except (UnreadableRecord, KeyError, TypeError):
            continue
    return rows
