"""Bootstrap intervals and paired comparisons, checked against answers known in advance."""

from __future__ import annotations

import numpy as np
import pytest
from fake_runs import trial

from bench.results.leaderboard import score_board
from bench.results.records import RunInfo, TrialRecord
from bench.results.stats import (
    BUILTIN_METRICS,
    MIN_TEST_SONGS,
    bootstrap_interval,
    paired_difference,
    pearson,
    spearman,
    summarize,
)
from bench_plugins.metrics import mae, r2


def test_bootstrap_interval_of_a_mean_matches_the_normal_theory():
    rng = np.random.default_rng(1)
    sample = rng.normal(10.0, 2.0, 400)
    low, high = bootstrap_interval(lambda i: sample[i].mean(), len(sample), resamples=3000)
    half_width = 1.96 * sample.std(ddof=1) / np.sqrt(len(sample))  # about 0.196
    assert low == pytest.approx(sample.mean() - half_width, abs=0.03)
    assert high == pytest.approx(sample.mean() + half_width, abs=0.03)


def test_bootstrap_of_a_constant_has_zero_width():
    assert bootstrap_interval(lambda i: 3.0, 10) == (3.0, 3.0)


def record(model, seed, true, pred, baseline=False, split="song") -> TrialRecord:
    return TrialRecord.from_dict(data(model, seed, true, pred, baseline, split))


def data(model, seed, true, pred, baseline=False, split="song") -> dict:
    return {
        "id": f"{model}-{seed}",
        "status": "ok",
        "target": "t",
        "model": model,
        "feature": "f",
        "split": split,
        "seed": seed,
        "fold": 0,
        "baseline": baseline,
        "leaky": False,
        "metrics": {"song": {"r2": r2(true, pred), "mae": mae(true, pred)}, "window": {"r2": r2(true, pred)}},
        "songs": {"track": [f"s{i}" for i in range(len(true))], "true": list(true), "pred": list(pred)},
        "timing": {"train_s": 1.0},
        "peak_rss_mb": 100.0,
        "params": 10,
    }


def test_a_clearly_better_model_is_marked_better_and_a_copy_is_a_tie():
    rng = np.random.default_rng(0)
    records = []
    for seed in range(3):
        true = rng.uniform(0, 1, 30)
        records += [
            record("mean", seed, true, np.full(30, true.mean()), baseline=True),
            record("good", seed, true, true + rng.normal(0, 0.05, 30)),
            record("same", seed, true, np.full(30, true.mean()) + 1e-9),
        ]
    cells = {c.model: c for c in summarize(records, {"r2": r2})}
    assert cells["good"].paired[0].verdict == "better"
    assert cells["same"].paired[0].verdict == "tie"
    assert cells["good"].runs == 3 and cells["good"].std["song.r2"] >= 0


def test_a_reference_model_is_paired_with_every_other_row_and_gets_its_own_column():
    rng = np.random.default_rng(4)
    records = []
    for seed in range(3):
        true = rng.uniform(0, 1, 30)
        records += [
            record("mean", seed, true, np.full(30, true.mean()), baseline=True),
            record("probe", seed, true, true + rng.normal(0, 0.05, 30)),
            record("cnn", seed, true, np.full(30, true.mean()) + rng.normal(0, 0.01, 30)),
        ]
    plain = {c.model: c for c in summarize(records, {"r2": r2})}
    assert [p.baseline for p in plain["cnn"].paired] == ["mean"] and not plain["mean"].paired
    cells = {c.model: c for c in summarize(records, {"r2": r2}, references=("probe",))}
    versus = {m: {p.baseline: p.verdict for p in c.paired} for m, c in cells.items()}
    assert versus == {"mean": {"probe": "worse"}, "probe": {"mean": "better"}, "cnn": {"mean": "tie", "probe": "worse"}}
    board = score_board(list(cells.values()), "t", INFO)
    column = board.columns.index("Δ R² vs probe")
    rows = {row[0]: row[column] for row in board.rows}
    assert rows["probe"] == "reference" and "✗ worse" in rows["cnn"] and "✗ worse" in rows["mean"]


def test_paired_difference_only_matches_the_same_seed_and_song():
    true = np.linspace(0, 1, 10)
    model = [record("m", 0, true, true)]
    baseline = [record("b", 1, true, true, baseline=True)]  # other seed: nothing to pair
    assert paired_difference(model, baseline, r2, "b") is None


def test_correlations_of_a_nearly_constant_prediction_are_undefined():
    true = np.linspace(0.1, 0.9, 20)
    flat = np.full(20, 0.5) + np.random.default_rng(0).normal(0, 1e-15, 20)  # windows averaged: last bits differ
    assert np.ptp(flat) > 0 and np.isnan(pearson(true, flat)) and np.isnan(spearman(true, flat))
    assert np.isnan(pearson(flat, true)) and np.isnan(pearson(true, np.zeros(20)))
    assert r2(true, flat) == pytest.approx(r2(true, np.full(20, 0.5)))  # R² of a constant is defined
    slight = np.full(20, 0.5) + np.linspace(0, 1e-6, 20)  # a real, if tiny, spread is a correlation
    assert pearson(true, slight) == pytest.approx(1.0)


def test_a_mean_baseline_shows_no_correlation_on_the_board():
    true = np.random.default_rng(1).uniform(0, 1, 20)
    flat = 0.5 + np.random.default_rng(2).normal(0, 1e-15, 20)
    (cell,) = summarize(
        [TrialRecord.from_dict(trial("mean", 0, true, flat, baseline=True))], BUILTIN_METRICS
    )  # every built-in metric
    assert "song.pearson" in cell.mean and np.isnan(cell.mean["song.pearson"])
    board = score_board([cell], "danceability", INFO)
    assert board.rows[0][board.columns.index("song r")] == "–"


def test_intervals_need_a_minimum_of_distinct_test_songs():
    rng = np.random.default_rng(0)
    few, many = [], []
    for seed in range(3):  # the same 5 songs in every seed: still 5 songs
        true = rng.uniform(0, 1, 5)
        few += [record("mean", seed, true, np.full(5, 0.5), baseline=True), record("m", seed, true, true + 0.01)]
        true = rng.uniform(0, 1, MIN_TEST_SONGS)
        many += [
            record("mean", seed, true, np.full(MIN_TEST_SONGS, 0.5), baseline=True),
            record("m", seed, true, true + rng.normal(0, 0.05, MIN_TEST_SONGS)),
        ]
    cells = {c.model: c for c in summarize(few, BUILTIN_METRICS)}
    assert cells["m"].songs == 5 and np.isnan(cells["m"].interval).all()
    assert cells["m"].paired[0].verdict == "too few songs" and np.isnan(cells["m"].paired[0].low)
    board = score_board(list(cells.values()), "t", INFO)
    row = board.rows[[r[0] for r in board.rows].index("m")]
    assert row[5] == "too few test songs (5)" and "(too few test songs)" in row[6]
    cells = {c.model: c for c in summarize(many, BUILTIN_METRICS)}
    low, high = cells["m"].interval
    assert cells["m"].songs == MIN_TEST_SONGS and -1 < low < high <= 1
    assert cells["m"].paired[0].verdict == "better"


INFO = RunInfo(
    "run", "complete", {"source": "synthetic", "seeds": 3}, {"name": "quick", "window_seconds": 5.0, "hop_seconds": 2.5}
)


def test_the_two_stage_bootstrap_matches_a_hand_computation():
    """Seeds drawn first, then each drawn seed's songs, with the same generator: a loop by hand."""
    from bench.results.stats import two_stage_interval

    songs = {0: np.array([0.1, 0.4, 0.9]), 1: np.array([2.0, 2.5])}
    mean_of = {s: (lambda idx, v=v: v[idx].mean(axis=1)) for s, v in songs.items()}
    low, high = two_stage_interval([[(3, mean_of[0])], [(2, mean_of[1])]], resamples=6, seed=7, level=0.5)

    rng = np.random.default_rng(7)
    picks = rng.integers(0, 2, (6, 2))
    values = np.zeros((6, 2))
    for s in (0, 1):
        where = [(b, j) for b in range(6) for j in range(2) if picks[b, j] == s]
        draws = rng.integers(0, len(songs[s]), (len(where), len(songs[s])))
        for (b, j), row in zip(where, draws):
            values[b, j] = sum(songs[s][i] for i in row) / len(row)
    means = [(values[b, 0] + values[b, 1]) / 2 for b in range(6)]
    assert (low, high) == pytest.approx((np.percentile(means, 25), np.percentile(means, 75)))


def test_the_interval_widens_when_seeds_disagree():
    """Pooling songs over seeds hides seed-to-seed spread; resampling seeds first does not."""
    rng = np.random.default_rng(0)
    true = rng.uniform(0, 1, 40)
    agree = [record("m", s, true, true + rng.normal(0, 0.1, 40)) for s in range(3)]
    disagree = [record("m", s, true, true + rng.normal(0, 0.05 + 0.15 * s, 40)) for s in range(3)]
    (a,) = summarize(agree, BUILTIN_METRICS)
    (d,) = summarize(disagree, BUILTIN_METRICS)
    assert a.interval[0] <= a.mean["song.r2"] <= a.interval[1]
    assert d.interval[1] - d.interval[0] > a.interval[1] - a.interval[0]


def test_vectorised_metrics_equal_the_plain_ones():
    from bench.results.stats import VECTOR_METRICS

    rng = np.random.default_rng(2)
    t, p = rng.uniform(0, 1, (5, 20)), rng.uniform(0, 1, (5, 20))
    for name, vector in VECTOR_METRICS.items():
        assert vector(t, p) == pytest.approx([BUILTIN_METRICS[name](a, b) for a, b in zip(t, p)])


def test_intervals_are_cached_in_the_run_folder(tmp_path):
    import time

    from fake_runs import scored_run

    from bench.results.leaderboard import run_cells
    from bench.results.store import RunStore

    store = RunStore(scored_run(tmp_path / "r", songs=200))
    started = time.perf_counter()
    cold = run_cells(store)
    cold_s = time.perf_counter() - started
    assert (store.dir / "intervals.json").exists()
    started = time.perf_counter()
    warm = run_cells(store)
    assert time.perf_counter() - started < max(0.5, cold_s)
    assert [c.interval for c in warm] == [c.interval for c in cold]
    assert [p.low for c in warm for p in c.paired] == [p.low for c in cold for p in c.paired]


def test_a_lower_is_better_metric_turns_the_verdict():
    from bench.results.stats import Paired

    assert Paired("b", -0.1, -0.2, -0.05, 20, 20, higher=False).verdict == "better"
    assert Paired("b", -0.1, -0.2, -0.05, 20, 20).verdict == "worse"
