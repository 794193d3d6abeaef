"""Metrics a run did not record, scored from the song predictions its trial records keep.

A metric installed after a run (a plugin's `MetricSpec`, passed in by the command line, never
imported from the run folder) is computed at song level on each successful trial's stored
true and predicted values. `Rescored` is a read-only view of a run with those values added
(what `bench leaderboard --metric` renders); `write_rescored` puts them into the records
(`bench rescore`). Window-level values cannot be recomputed: records keep song predictions only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bench.interrupts import reraise_interruption
from bench.results.records import RunInfo, TrialRecord
from bench.specs import MetricSpec

LEVEL = "song"


def metric_value(metric: MetricSpec, true: np.ndarray, pred: np.ndarray) -> float:
    """`metric` of `pred` against `true` as a float; TypeError or ValueError when the metric
    returns anything but a finite number."""
    value = metric.compute(true, pred)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"returned {type(value).__name__} {str(value)[:40]!r}, not a number")
    if not math.isfinite(value):
        raise ValueError(f"returned {value}, not a finite number")
    return float(value)


def recorded(records: list[TrialRecord]) -> set[str]:
    """The song-level metrics any successful trial recorded."""
    return {name for r in records if r.ok and r.metrics for name in r.metrics.get(LEVEL, {})}


@dataclass
class Scoring:
    """What adding metrics to a run's records did: the changed records, how many trials each
    metric scored, and the trials it could not score (one line each, naming trial and metric)."""

    records: list[TrialRecord]
    scored: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # ids of the records given a new value


def add_metrics(records: list[TrialRecord], metrics: dict[str, MetricSpec], overwrite: bool = False) -> Scoring:
    """`records` with each metric's song-level value added to every successful trial of a
    target it applies to that lacks it (every one, with `overwrite`); the inputs are not changed."""
    result = Scoring([], {name: 0 for name in metrics})
    for record in records:
        song = dict((record.metrics or {}).get(LEVEL, {}))
        todo = {
            name: m for name, m in metrics.items() if m.applies_to(record.target) and (overwrite or name not in song)
        }
        if not (record.ok and record.songs is not None and todo):
            result.records.append(record)
            continue
        true = np.asarray(record.songs.true, dtype=np.float64)
        pred = np.asarray(record.songs.pred, dtype=np.float64)
        added = set()
        for name, metric in todo.items():
            try:
                song[name] = metric_value(metric, true, pred)
            except Exception as exc:
                reraise_interruption(exc)
                result.failures.append(f"trial {record.id}: metric {name}: {type(exc).__name__}: {exc}")
                continue
            result.scored[name] += 1
            added.add(name)
        if not added:
            result.records.append(record)
            continue
        own = sorted({*(record.target_metrics or ()), *(n for n in added if metrics[n].targets is not None)})
        levels = {**(record.metrics or {}), LEVEL: song}
        result.records.append(replace(record, metrics=levels, target_metrics=own or None))
        result.changed.add(record.id)
    return result


def declare(info: RunInfo, metrics: dict[str, MetricSpec]) -> list[dict[str, Any]]:
    """run.json's declared metrics with `metrics` added (never primary: the run's primary stays)."""
    declared = [m for m in info.declared[0] if m["name"] not in metrics]
    return declared + [
        {"name": n, "higher_is_better": m.higher_is_better, "primary": False} for n, m in metrics.items()
    ]


COMPUTED = "computed_metrics"  # RunInfo.extra key: metrics a view computed from stored predictions


class Rescored:
    """A run (a RunStore or merged runs) read with `metrics` computed now from its stored song
    predictions where its trials lack them; its run info names them (`computed_note`)."""

    def __init__(self, store, metrics: dict[str, MetricSpec]):
        self.store, self.metrics = store, metrics
        self.scoring = add_metrics(store.trials(), metrics)

    @property
    def id(self) -> str:
        return self.store.id

    @property
    def dir(self):
        return self.store.dir

    def trials(self) -> list[TrialRecord]:
        return self.scoring.records

    def run_info(self) -> RunInfo:
        info = self.store.run_info()
        return replace(info, metrics=declare(info, self.metrics), extra={**info.extra, COMPUTED: sorted(self.metrics)})


def computed_note(info: RunInfo) -> str | None:
    """The footnote of a board some of whose metrics were computed after the run (None otherwise)."""
    names = info.extra.get(COMPUTED)
    if not names:
        return None
    listed = ", ".join(f"song {n}" for n in names)
    return (
        f"{listed}: not recorded by the run; computed now from each trial's stored song predictions "
        f"(`bench rescore RUN --metric NAME` writes it into the records; window-level values cannot be recomputed)."
    )


def write_rescored(store, metrics: dict[str, MetricSpec], overwrite: bool = False) -> Scoring:
    """Score `metrics` on the run's trials and write the changed records back (each file
    replaced atomically, after every value is computed) and the metrics into run.json's
    declared ones."""
    scoring = add_metrics(store.trials(), metrics, overwrite)
    for record in scoring.records:
        if record.id in scoring.changed:
            store.rewrite_record(record)
    if any(scoring.scored.values()):
        store.update_info(metrics=declare(store.run_info(), {n: m for n, m in metrics.items() if scoring.scored[n]}))
    return scoring
