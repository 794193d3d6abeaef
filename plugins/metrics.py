"""Built-in metrics: MAE, RMSE, R², Pearson r and Spearman rho; on tempo targets, MIREX Accuracy1 and 2.

The functions are the core's own (`bench.results.stats`), so reading a run recomputes them without
this plugin. Plain numpy: leaderboards bootstrap these thousands of times, where scikit-learn's
input validation would cost more than the arithmetic. Each returns NaN rather than a
misleading number when it is undefined (fewer than two points, a constant truth for R², a
(nearly) constant input for the correlations).
"""

from __future__ import annotations

from bench import hookimpl
from bench.results.stats import mae, pearson, r2, rmse, spearman
from bench.specs import MetricSpec
from bench_plugins.tempo_metrics import TEMPO_TARGETS, TOLERANCE, accuracy1, accuracy2


@hookimpl
def bench_metrics() -> list[MetricSpec]:
    return [
        MetricSpec(
            "r2", "coefficient of determination (1 is perfect, 0 is the mean)", r2, higher_is_better=True, primary=True
        ),
        MetricSpec("mae", "mean absolute error", mae, higher_is_better=False),
        MetricSpec("rmse", "root mean squared error", rmse, higher_is_better=False),
        MetricSpec("pearson", "Pearson correlation", pearson, higher_is_better=True),
        MetricSpec("spearman", "Spearman rank correlation", spearman, higher_is_better=True),
        MetricSpec(
            "accuracy1",
            f"MIREX Accuracy1: share of tempo estimates within {TOLERANCE:.0%} of the reference",
            accuracy1,
            higher_is_better=True,
            targets=TEMPO_TARGETS,
        ),
        MetricSpec(
            "accuracy2",
            "MIREX Accuracy2: as accuracy1, also forgiving x2, x3, 1/2 and 1/3 of the reference",
            accuracy2,
            higher_is_better=True,
            targets=TEMPO_TARGETS,
        ),
    ]
