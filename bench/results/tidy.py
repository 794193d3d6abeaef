"""A run's records as tidy rows: one per trial, or one per test song and trial. The Python API
(`Run.trials()`, `Run.predictions()`) and `bench export --per` make their tables from these."""

from __future__ import annotations

import json
from typing import Any

from bench.results.store import RunStore


def trial_rows(store: RunStore) -> list[dict[str, Any]]:
    """Per trial: its cell, seed and fold, status, every recorded metric (`song_r2`,
    `window_mae`, ...), costs and error."""
    rows = []
    for r in store.trials():
        row = {
            "id": r.id,
            "status": r.status,
            **_place(r),
            "tuning": r.tuning,
            "augment": "+".join(r.augment) if r.augment else None,
            "baseline": r.baseline,
        }
        for level, values in (r.metrics or {}).items():
            row.update({f"{level}_{name}": value for name, value in values.items()})
        row.update({k: v for k, v in (r.timing or {}).items()})
        row.update(params=r.params, peak_rss_mb=r.peak_rss_mb, best_epoch=r.best_epoch, error=r.error)
        row["diagnosis"] = ",".join(r.extra.get("diagnosis") or ()) or None
        rows.append(row)
    return rows


def song_rows(store: RunStore) -> list[dict[str, Any]]:
    """Per test song and successful trial: track, artist (its group), true and predicted value
    (the mean or median of its windows), with the trial's cell, seed and fold."""
    groups = {}
    dataset = store.dir / "dataset.json"
    if dataset.exists():
        groups = {t["id"]: t.get("group") for t in json.loads(dataset.read_text()).get("tracks", [])}
    rows = []
    for r in store.trials():
        if not (r.ok and r.songs):
            continue
        for track, true, pred in zip(r.songs.track, r.songs.true, r.songs.pred):
            rows.append(
                {
                    "trial": r.id,
                    **_place(r),
                    "track": track,
                    "artist": groups.get(track),
                    "true": true,
                    "predicted": pred,
                }
            )
    return rows


def _place(record) -> dict:
    """A trial's cell, seed and fold: the columns every tidy table starts with."""
    return {k: getattr(record, k) for k in ("target", "model", "feature", "split", "seed", "fold")}
