"""Bootstrap intervals and paired comparisons, checked against answers known in advance."""

from __future__ import annotations

import numpy as np
import pytest

from bench.stats import bootstrap_interval, paired_difference, summarize
from plugins.metrics import mae, r2


def test_bootstrap_interval_of_a_mean_matches_the_normal_theory():
    rng = np.random.default_rng(1)
    sample = rng.normal(10.0, 2.0, 400)
    low, high = bootstrap_interval(lambda i: sample[i].mean(), len(sample), resamples=3000)
    half_width = 1.96 * sample.std(ddof=1) / np.sqrt(len(sample))  # about 0.196
    assert low == pytest.approx(sample.mean() - half_width, abs=0.03)
    assert high == pytest.approx(sample.mean() + half_width, abs=0.03)


def test_bootstrap_of_a_constant_has_zero_width():
    assert bootstrap_interval(lambda i: 3.0, 10) == (3.0, 3.0)


def record(model, seed, true, pred, baseline=False, split="song"):
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


def test_paired_difference_only_matches_the_same_seed_and_song():
    true = np.linspace(0, 1, 10)
    model = [record("m", 0, true, true)]
    baseline = [record("b", 1, true, true, baseline=True)]  # other seed: nothing to pair
    assert paired_difference(model, baseline, r2, "b") is None
