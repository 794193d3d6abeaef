"""Baselines every CNN must beat: the training mean, and a ridge on DSP rhythm descriptors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bench.profiles import Profile

if TYPE_CHECKING:
    from sklearn.dummy import DummyRegressor

# scikit-learn is imported where a model is built, in the trial, not when the registry loads:
# its import is most of a `bench` command's start-up.


def build_mean(input_shape: tuple[int, ...], profile: Profile) -> DummyRegressor:
    """Predicts the mean label of the training windows, whatever the input."""
    from sklearn.dummy import DummyRegressor

    return DummyRegressor(strategy="mean")


def build_dsp_ridge(input_shape: tuple[int, ...], profile: Profile):
    """Standardised DSP descriptors -> ridge regression, its penalty chosen by internal CV."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
