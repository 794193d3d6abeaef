"""Baselines every CNN must beat: the training mean, and a ridge on DSP rhythm descriptors."""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.profiles import Profile


def build_mean(input_shape: tuple[int, ...], profile: Profile) -> DummyRegressor:
    """Predicts the mean label of the training windows, whatever the input."""
    return DummyRegressor(strategy="mean")


def build_dsp_ridge(input_shape: tuple[int, ...], profile: Profile):
    """Standardised DSP descriptors -> ridge regression, its penalty chosen by internal CV."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
