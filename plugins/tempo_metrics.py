"""MIREX tempo accuracies (Gouyon et al. 2006), for tempo targets in BPM.

`accuracy1`: the share of estimates within 4 % of the reference tempo. `accuracy2`: the same
share when an estimate may also match 2, 3, 1/2 or 1/3 times the reference (octave errors, and
a triple or third for triple meters, are forgiven). The tolerance is relative to the tempo being
matched: 4 % of 2 x 60 BPM is 4.8 BPM. A reference that is not a positive tempo (missing, 0) is
left out; with none left the accuracy is NaN.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 3.0, 1.0 / 2.0, 1.0 / 3.0)
TEMPO_TARGETS = ("tempo",)


def _hits(y_true, y_pred, factors: tuple[float, ...], tolerance: float) -> np.ndarray | None:
    """Per song, whether the estimate lies within `tolerance` of some factor x reference (None: no reference)."""
    reference, estimate = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(
            f"tempo accuracy: truth and estimates differ in shape. Received: {reference.shape}, {estimate.shape}"
        )
    valid = np.isfinite(reference) & (reference > 0)
    if not valid.any():
        return None
    targets = reference[valid, None] * np.asarray(factors)[None, :]
    close = np.abs(estimate[valid, None] - targets) <= tolerance * targets
    return close.any(axis=1)


def accuracy1(y_true, y_pred, tolerance: float = TOLERANCE) -> float:
    """Share of estimates within `tolerance` (relative) of the reference tempo."""
    hits = _hits(y_true, y_pred, (1.0,), tolerance)
    return float("nan") if hits is None else float(hits.mean())


def accuracy2(y_true, y_pred, tolerance: float = TOLERANCE) -> float:
    """Share of estimates within `tolerance` of 1, 2, 3, 1/2 or 1/3 times the reference tempo."""
    hits = _hits(y_true, y_pred, OCTAVE_FACTORS, tolerance)
    return float("nan") if hits is None else float(hits.mean())
