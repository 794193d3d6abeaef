"""Seed ensembles as rows of their own (`bench leaderboard --ensemble`): the mean of a cell's
seeds' song predictions, scored on the same test songs, computed from the stored records
(nothing trains).

A cell is ensembled only where every seed tested the same songs, each once: one split for every
seed (--split-seed), a fixed split (fma-official), or k-fold cross-validation (each seed's
folds test every song once). A hold-out split drawn per seed (song, artist) tests other songs
with each seed and has no ensemble row.

Each of the cell's trials gets an ensemble twin with the same seed, fold and songs, predicting
every song as the mean over seeds: the twins pair with the baselines' trials seed by seed and
fold by fold, so the ensemble row's Δ has the leaderboard's own paired two-stage interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from bench.results.records import SongPredictions, TrialRecord
from bench.results.stats import BUILTIN_METRICS, Cell, CellKey, cell_key

MARK = "ensemble"  # the twins' `extra` key: the seeds the ensemble averages


@dataclass
class Ensembles:
    """The ensemble twins of a run's records, and why the cells left out have none."""

    records: list[TrialRecord] = field(default_factory=list)
    refused: list[CellKey] = field(default_factory=list)  # cells whose seeds tested different songs


def label(model: str, seeds: int) -> str:
    """The ensemble row's model column: "1dwav (ensemble of 3)"."""
    return f"{model} (ensemble of {seeds})"


def is_ensemble(cell: Cell) -> bool:
    return any(MARK in r.extra for r in cell.records)


def _per_seed(group: list[tuple[TrialRecord, SongPredictions]]) -> dict[int, dict[str, float]] | None:
    """seed -> track -> prediction, or None when a seed tested a song twice."""
    by_seed: dict[int, dict[str, float]] = defaultdict(dict)
    for record, songs in group:
        for track, pred in zip(songs.track, songs.pred):
            if track in by_seed[record.seed]:
                return None
            by_seed[record.seed][track] = float(pred)
    return by_seed


def seed_ensembles(records: list[TrialRecord]) -> Ensembles:
    """Ensemble twins of every model cell (not baselines) with 2+ seeds that tested the same songs."""
    grouped: dict[CellKey, list[tuple[TrialRecord, SongPredictions]]] = defaultdict(list)
    for record in records:
        if record.ok and not record.baseline and record.songs is not None and MARK not in record.extra:
            grouped[cell_key(record)].append((record, record.songs))
    found = Ensembles()
    for key, group in sorted(grouped.items()):
        by_seed = _per_seed(group)
        if by_seed is not None and len(by_seed) < 2:
            continue
        songs = set(next(iter(by_seed.values()))) if by_seed else set()
        if by_seed is None or any(set(p) != songs for p in by_seed.values()):
            found.refused.append(key)
            continue
        seeds = sorted(by_seed)
        mean = {t: float(np.mean([by_seed[s][t] for s in seeds])) for t in songs}
        for record, tested in group:
            true, pred = tested.true, [mean[t] for t in tested.track]
            scores = {name: metric(np.asarray(true), np.asarray(pred)) for name, metric in BUILTIN_METRICS.items()}
            found.records.append(
                replace(
                    record,
                    id=f"{record.id}--{MARK}",
                    model=label(key[1], len(seeds)),
                    tuning=None,
                    augment=None,
                    metrics={"song": scores, "window": {}},
                    target_metrics=None,
                    timing=None,
                    songs=SongPredictions(list(tested.track), list(true), pred),
                    history=None,
                    best_epoch=None,
                    extra={MARK: seeds},
                )
            )
    return found


def without_seed_spread(cells: list[Cell]) -> None:
    """An ensemble row has no seed spread: its twins are one prediction per song, and their std
    (0 on a fixed split) would read as perfect agreement between seeds."""
    for cell in cells:
        if is_ensemble(cell):
            cell.std = {k: math.nan for k in cell.std}


def notes(ensembles: Ensembles, target: str) -> list[str]:
    """The score board's lines about its ensemble rows and the cells that have none."""
    lines = []
    if any(r.target == target for r in ensembles.records):
        lines.append(
            "Rows 'model (ensemble of N)': the mean of the N seeds' song predictions of that row, on the same test "
            "songs (no extra training; N times the training and prediction cost); Δ pairs it with each baseline "
            "seed by seed and fold by fold; it has no seed std."
        )
    refused = [f"{k[1]} ({k[3]})" for k in sorted(ensembles.refused) if k[0] == target]
    if refused:
        lines.append(
            f"No ensemble row for {', '.join(refused)}: their test songs change with the seed (a hold-out split drawn "
            "per seed); --split-seed N, --folds K or a fixed split (fma-official) tests the same songs with every seed."
        )
    return lines
