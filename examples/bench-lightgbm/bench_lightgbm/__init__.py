"""bench-lightgbm: gradient-boosted trees (LightGBM) as a model framework for the harness.

A framework adapter teaches the harness to build, train, predict with, save, load, count and
check models of a library it does not know. This one drives `lightgbm.train` with early
stopping on the trial's validation windows (the same songs a Keras model early-stops on),
saves the booster in LightGBM's text format, and counts tree nodes as parameters. A model
of this framework is a `ModelSpec(..., framework="lightgbm")` whose `build` returns the
LightGBM parameters; `dsp-gbm` reads the DSP descriptors.

lightgbm is imported only when a model is built, so `bench plugins` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench import hookimpl
from bench.frameworks import Fitted, Framework, ModelContractError
from bench.specs import FrameworkSpec, ModelSpec

__version__ = "0.1.0"

MAX_ROUNDS = 400
PATIENCE_ROUNDS = 20  # boosting rounds without a better validation loss before stopping


@dataclass
class Boosted:
    """A model of this framework: LightGBM parameters, and the booster once trained."""

    params: dict[str, Any]
    booster: Any = None
    history: list[float] = field(default_factory=list)


def _rows(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


class LightGBMFramework(Framework):
    """Windows flattened to rows; the targets scaled into 0..1 as labels. Trees average leaf
    values, so predictions are not bounded by a sigmoid: `bounded` is False, like the
    scikit-learn baselines, and trees need no feature normalisation."""

    name = "lightgbm"
    suffix = ".txt"
    bounded = False
    normalized_input = False

    def build(self, spec, input_shape, profile, seed):
        params = spec.build(input_shape, profile)
        if not isinstance(params, dict):
            raise ModelContractError(
                f"build() returned {type(params).__name__}, not a dict of lightgbm parameters (framework 'lightgbm')"
            )
        return Boosted({"verbosity": -1, "num_threads": 1, "deterministic": True, **params, "seed": seed})

    def fit(self, model, profile, reader, train, validation, y, seed):
        import lightgbm

        train_set = lightgbm.Dataset(_rows(reader.read(train)), y[train])
        valid_sets, callbacks, evaluated = [], [], {}
        if validation is not None and len(validation):
            valid_sets = [lightgbm.Dataset(_rows(reader.read(validation)), y[validation], reference=train_set)]
            callbacks = [
                lightgbm.early_stopping(PATIENCE_ROUNDS, verbose=False),
                lightgbm.record_evaluation(evaluated),
            ]
        model.booster = lightgbm.train(
            model.params, train_set, num_boost_round=MAX_ROUNDS, valid_sets=valid_sets, callbacks=callbacks
        )
        rounds = model.booster.best_iteration or model.booster.current_iteration()
        return Fitted({"boosting_rounds": rounds})

    def predict_array(self, model, x, profile):
        booster = model.booster
        return np.asarray(booster.predict(_rows(x), num_iteration=booster.best_iteration or None), dtype=np.float64)

    def save(self, model, path):
        model.booster.save_model(str(path), num_iteration=model.booster.best_iteration or None)

    def load(self, path, spec, input_shape, profile):
        import lightgbm

        booster = lightgbm.Booster(model_file=str(path))
        return Boosted({}, booster)

    def count_params(self, model):
        """Split thresholds and leaf values of every tree."""
        trees = model.booster.dump_model()["tree_info"]
        return int(sum(2 * tree["num_leaves"] - 1 for tree in trees))


def build_dsp_gbm(input_shape, profile):
    """Small trees: the corpora the harness runs on have hundreds of windows, not millions."""
    return {"objective": "regression", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 3}


@hookimpl
def bench_frameworks() -> list[FrameworkSpec]:
    return [
        FrameworkSpec("lightgbm", "LightGBM gradient-boosted trees, early-stopped on validation", LightGBMFramework)
    ]


@hookimpl
def bench_models() -> list[ModelSpec]:
    return [ModelSpec("dsp-gbm", "gradient-boosted trees on the DSP descriptors", "dsp", build_dsp_gbm, "lightgbm")]
