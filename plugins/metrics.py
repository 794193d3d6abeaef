"""Built-in metrics: MAE, RMSE, R², Pearson r and Spearman rho.

Plain numpy: leaderboards bootstrap these thousands of times, where scikit-learn's input
validation would cost more than the arithmetic. Each returns NaN rather than a misleading
number when it is undefined (fewer than two points, or a constant input for R² and the
correlations).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from bench import hookimpl
from bench.specs import MetricSpec


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if len(y_true) < 2 or total == 0:
        return float("nan")
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if len(y_true) < 2 or np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    return float(np.corrcoef(y_true, y_pred)[0, 1])


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return pearson(rankdata(y_true), rankdata(y_pred))


@hookimpl
def bench_metrics() -> list[MetricSpec]:
    return [
        MetricSpec("r2", "coefficient of determination (1 is perfect, 0 is the mean)", r2, higher_is_better=True),
        MetricSpec("mae", "mean absolute error", mae, higher_is_better=False),
        MetricSpec("rmse", "root mean squared error", rmse, higher_is_better=False),
        MetricSpec("pearson", "Pearson correlation", pearson, higher_is_better=True),
        MetricSpec("spearman", "Spearman rank correlation", spearman, higher_is_better=True),
    ]
