"""Built-in metrics: MAE, RMSE, R², Pearson r and Spearman rho.

Each returns NaN rather than a misleading number when it is undefined (fewer than two
points, or a constant prediction for the correlations).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn import metrics

from bench import hookimpl
from bench.specs import MetricSpec


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(metrics.mean_absolute_error(y_true, y_pred))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(metrics.mean_squared_error(y_true, y_pred)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if len(y_true) < 2 or np.ptp(y_true) == 0:
        return float("nan")
    return float(metrics.r2_score(y_true, y_pred))


def _correlation(function, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if len(y_true) < 2 or np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    return float(function(y_true, y_pred)[0])


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return _correlation(stats.pearsonr, y_true, y_pred)


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return _correlation(stats.spearmanr, y_true, y_pred)


@hookimpl
def bench_metrics() -> list[MetricSpec]:
    return [
        MetricSpec("r2", "coefficient of determination (1 is perfect, 0 is the mean)", r2, higher_is_better=True),
        MetricSpec("mae", "mean absolute error", mae, higher_is_better=False),
        MetricSpec("rmse", "root mean squared error", rmse, higher_is_better=False),
        MetricSpec("pearson", "Pearson correlation", pearson, higher_is_better=True),
        MetricSpec("spearman", "Spearman rank correlation", spearman, higher_is_better=True),
    ]
