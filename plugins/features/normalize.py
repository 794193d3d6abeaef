"""Per-window normalisation, a named option of every built-in feature transform.

`paper` is the seed paper's recipe: zero mean, unit standard deviation, then scaled to 0..1.
Statistics are taken over the whole window (both channels together), so the level of side
relative to mid survives, and no statistic crosses a train/test boundary.
"""

from __future__ import annotations

import numpy as np

METHODS = ("paper", "zscore", "none")


def normalize(values: np.ndarray, method: str) -> np.ndarray:
    """`values` normalised by `method` (one of METHODS)."""
    if method == "none":
        return values.astype(np.float32, copy=False)
    if method not in METHODS:
        raise ValueError(f"normalization must be one of {METHODS}. Received: {method!r}")
    z = (values - values.mean()) / (values.std() + 1e-8)
    if method == "zscore":
        return z.astype(np.float32)
    span = z.max() - z.min()
    return ((z - z.min()) / (span if span > 0 else 1.0)).astype(np.float32)
