"""Seed ensembles as their own leaderboard rows (bench.results.ensemble): the mean of the seeds'
song predictions on the same songs, paired with the baselines; refused where seeds test other songs."""

from __future__ import annotations

import numpy as np
import pytest
from fake_runs import trial, write_run

from bench.results.ensemble import seed_ensembles
from bench.results.leaderboard import boards, run_cells
from bench.results.records import TrialRecord
from bench.results.stats import r2
from bench.results.store import RunStore

SONGS = 30


def fixed_split_run(folder, seeds: int = 3):
    """Every seed tests the same songs; 'noisy' errs independently per seed, 'moving' tests other songs per seed."""
    rng = np.random.default_rng(7)
    true = rng.uniform(0.2, 0.8, SONGS)
    records = []
    for seed in range(seeds):
        records.append(trial("mean", seed, true, np.full(SONGS, 0.5), baseline=True))
        records.append(trial("noisy", seed, true, true + rng.normal(0, 0.12, SONGS)))
        moving = trial("moving", seed, true, true + rng.normal(0, 0.12, SONGS))
        moving["songs"]["track"] = [f"s{i + seed}" for i in range(SONGS)]
        records.append(moving)
    return RunStore(write_run(folder, records)), true


def test_the_ensemble_averages_the_seeds_predictions_on_the_same_songs(tmp_path):
    store, true = fixed_split_run(tmp_path / "r")
    found = seed_ensembles(store.trials())
    noisy = [r for r in found.records if r.model == "noisy (ensemble of 3)"]
    assert len(noisy) == 3 and {r.seed for r in noisy} == {0, 1, 2}
    singles = [r for r in store.trials() if r.model == "noisy"]
    expected = np.mean([r.songs.pred for r in singles], axis=0)
    for twin in noisy:
        assert twin.songs.pred == pytest.approx(expected)
        assert twin.metrics["song"]["r2"] == pytest.approx(r2(true, expected))
    assert not any(r.model.startswith("mean") for r in found.records)  # baselines are not ensembled
    assert [k[1] for k in found.refused] == ["moving"]


def test_the_ensemble_row_is_paired_with_the_baselines_and_has_no_seed_std(tmp_path):
    store, true = fixed_split_run(tmp_path / "r")
    cells = {c.model: c for c in run_cells(store, seed_ensembles(store.trials()).records)}
    row, single = cells["noisy (ensemble of 3)"], cells["noisy"]
    assert row.mean["song.r2"] > single.mean["song.r2"]  # independent errors average out
    assert np.isnan(row.std["song.r2"]) and np.isfinite(single.std["song.r2"])
    (paired,) = row.paired
    assert paired.baseline == "mean" and paired.low > 0 and paired.verdict == "better"
    assert paired.songs == 3 * SONGS  # seed by seed against the baseline's trials


def test_the_board_shows_ensemble_rows_only_when_asked_and_says_which_cells_cannot(tmp_path):
    store, _ = fixed_split_run(tmp_path / "r")
    plain = boards(store)[0]
    assert not any("ensemble" in row[0] for row in plain.rows)
    board = boards(store, ensembles=True)[0]
    models = [row[0] for row in board.rows]
    assert "noisy (ensemble of 3)" in models and not any(m.startswith("moving (") for m in models)
    assert any(n.startswith("Rows 'model (ensemble of N)'") for n in board.notes)
    assert any(n.startswith("No ensemble row for moving (song)") for n in board.notes)


def test_cross_validated_seeds_are_ensembled_song_by_song(tmp_path):
    """Each seed's folds test every song once, in a different partition: each song's twin
    prediction is the mean over seeds of the fold model that did not train on it."""
    rng = np.random.default_rng(1)
    true = rng.uniform(0.2, 0.8, 20)
    records = []
    preds = {}
    for seed in range(2):
        order = rng.permutation(20)
        guess = true + rng.normal(0, 0.1, 20)
        preds[seed] = guess
        for fold, rows in enumerate((order[:10], order[10:])):
            record = trial("cnn", seed, true[rows], guess[rows])
            record["songs"]["track"] = [f"s{i}" for i in rows]
            record.update(id=f"{record['id']}--fold{fold}", fold=fold, folds=2)
            records.append(record)
    found = seed_ensembles([TrialRecord.from_dict(r) for r in records])
    assert not found.refused and len(found.records) == 4
    for twin in found.records:
        rows = [int(t[1:]) for t in twin.songs.track]
        assert twin.songs.pred == pytest.approx((preds[0][rows] + preds[1][rows]) / 2)


def test_one_seed_has_no_ensemble(tmp_path):
    store, _ = fixed_split_run(tmp_path / "r", seeds=1)
    found = seed_ensembles(store.trials())
    assert not found.records and not found.refused


def test_the_leaderboard_command_takes_ensemble(tmp_path, capsys):
    from bench.cli.app import main

    store, _ = fixed_split_run(tmp_path / "r")
    assert main(["leaderboard", str(store.dir), "--ensemble", "--format", "markdown"]) == 0
    assert "noisy (ensemble of 3)" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="not in csv or json"):
        main(["leaderboard", str(store.dir), "--ensemble", "--format", "csv"])
