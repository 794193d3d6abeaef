"""The probe floors' model: a ridge on fixed pooled statistics of exactly the array a CNN reads.

A probe tells how much of a target simple summaries of a feature already carry, so a CNN is
compared with what its own input gives away for free. The statistics of one window, whose
time axis the feature declares (`FeatureSpec.time_axis`), every other axis flattened into
F series (bands x channels of a spectrogram, channels of a waveform):

- per series, the time mean and standard deviation;
- for a signal sampled faster than ENVELOPE_MAX_RATE (a waveform), its frame-energy envelope:
  log mean square over back-to-back FRAME_SECONDS frames, per series, and that envelope's
  time mean and standard deviation; a slower feature (a spectrogram) is its own envelope;
- an onset envelope, the half-wave rectified first difference of the envelope summed over
  series, and its autocorrelation (mean removed, normalised by lag 0) at every lag from one
  frame up to MAX_LAG_SECONDS (or the window's half, whichever is shorter).

The ridge (on standardised statistics) is fitted on the training windows at every alpha in
ALPHAS and the alpha with the lowest squared error on the validation windows is kept, so it
sees the data a CNN sees: training windows for weights, validation windows for choices.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ALPHAS = tuple(float(a) for a in np.logspace(-2, 4, 13))
FRAME_SECONDS = 0.032
ENVELOPE_MAX_RATE = 200.0  # frames per second above which a feature is a signal, not a frame sequence
MAX_LAG_SECONDS = 3.0
EPSILON = 1e-10


def pooled_statistics(x: np.ndarray, time_axis: int, window_seconds: float) -> np.ndarray:
    """(windows, *row_shape) -> (windows, statistics), as the module docstring lists them."""
    x = np.asarray(x, dtype=np.float64)
    series = np.moveaxis(x, 1 + time_axis, 1).reshape(len(x), x.shape[1 + time_axis], -1)  # (n, T, F)
    rate = series.shape[1] / window_seconds
    parts = [series.mean(axis=1), series.std(axis=1)]
    envelope = series
    if rate > ENVELOPE_MAX_RATE:
        frame = max(1, int(round(FRAME_SECONDS * rate)))
        frames = series.shape[1] // frame
        squares = series[:, : frames * frame] ** 2
        envelope = np.log(squares.reshape(len(x), frames, frame, -1).mean(axis=2) + EPSILON)
        rate /= frame
        parts += [envelope.mean(axis=1), envelope.std(axis=1)]
    onset = np.maximum(np.diff(envelope, axis=1), 0.0).sum(axis=2)  # (n, T' - 1)
    onset = onset - onset.mean(axis=1, keepdims=True)
    lags = max(1, min(int(round(MAX_LAG_SECONDS * rate)), onset.shape[1] // 2))
    energy = (onset**2).sum(axis=1) + EPSILON
    parts.append(np.stack([(onset[:, :-k] * onset[:, k:]).sum(axis=1) / energy for k in range(1, lags + 1)], 1))
    return np.concatenate(parts, axis=1)


class ProbeRegressor(RegressorMixin, BaseEstimator):
    """Pooled statistics of flattened windows of `row_shape` -> standardised ridge regression."""

    def __init__(self, row_shape: tuple[int, ...] = (), time_axis: int = 0, window_seconds: float = 1.0):
        self.row_shape, self.time_axis, self.window_seconds = row_shape, time_axis, window_seconds

    def statistics(self, x: np.ndarray) -> np.ndarray:
        return pooled_statistics(np.reshape(x, (len(x), *self.row_shape)), self.time_axis, self.window_seconds)

    def fit(self, x, y, x_validation=None, y_validation=None):
        """Fit on (x, y) at every alpha, keep the best on the validation windows; without
        them, the alpha comes from RidgeCV's leave-one-out error on the training windows."""
        features = self.statistics(x)
        if x_validation is None or len(x_validation) == 0:
            self.model_ = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)).fit(features, y)
            self.alpha_ = float(self.model_[-1].alpha_)
            return self
        held_out = self.statistics(x_validation)
        best = None
        for alpha in ALPHAS:
            model = make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(features, y)
            error = float(np.mean((model.predict(held_out) - y_validation) ** 2))
            if best is None or error < best[0]:
                best = (error, alpha, model)
        _, self.alpha_, self.model_ = best
        return self

    def predict(self, x):
        return self.model_.predict(self.statistics(x))
