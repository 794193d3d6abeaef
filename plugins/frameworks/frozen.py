"""The `frozen` framework: pretrained models the harness scores without training them.

A frozen model's `build(input_shape, profile)` returns an object with `predict(x)` (one value
per window of the raw, unnormalised feature array `x`, in the target's own units: a tempo
network predicts BPM), `count_params()` and, optionally, `check_labels(y)`, which raises
before scoring when the run's labels are not what the model predicts. `fit` trains nothing;
the record says `frozen`. Labels and predictions stay in the target's units
(`scaled_labels = False`), so predictions need not lie within 0..1. Saved with joblib: the
object must pickle with its weights.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench.frameworks import Fitted, Framework, ModelContractError

CHECK_WINDOWS = 4


class FrozenFramework(Framework):
    """Pretrained, untrained here: build, predict, save; `fit` only checks the labels."""

    name = "frozen"
    suffix = ".joblib"
    bounded = False
    normalized_input = False
    augmentable = False
    scaled_labels = False

    def build(self, spec, input_shape, profile, seed):
        model = spec.build(input_shape, profile)
        if not callable(getattr(model, "predict", None)):
            raise ModelContractError(
                f"build() returned {type(model).__name__}, which has no predict (framework 'frozen')"
            )
        return model

    def fit(self, model, profile, reader, train, validation, y, seed):
        check = getattr(model, "check_labels", None)
        if check is not None:
            try:
                check(y[train])
            except ValueError as exc:
                raise ModelContractError(str(exc)) from None
        return Fitted({"frozen": True, "epochs": 0})

    def predict_array(self, model, x, profile):
        return np.asarray(model.predict(x), dtype=np.float64).reshape(-1)

    def save(self, model, path):
        import joblib

        joblib.dump(model, path)

    def load(self, path, spec, input_shape, profile):
        import joblib

        return joblib.load(path)

    def count_params(self, model):
        return int(model.count_params())

    def check_model(self, model, x):
        predictions = self.predict_array(model, x, None)
        if predictions.shape != (len(x),) or not np.isfinite(predictions).all():
            raise ModelContractError(
                f"predict on {len(x)} windows gave shape {predictions.shape} or non-finite values. "
                f"Expected: shape {(len(x),)}, finite"
            )

    def checks(self, spec, input_shape, profile):
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 1, (CHECK_WINDOWS, *input_shape)).astype(np.float32)
        state: dict = {}

        def build() -> str:
            state["model"] = self.build(spec, input_shape, profile, seed=0)
            return f"{type(state['model']).__name__}: {self.count_params(state['model']):,} parameters (frozen)"

        def predict() -> str:
            self.check_model(state["model"], x)
            state["predictions"] = self.predict_array(state["model"], x, profile)
            values = state["predictions"]
            return f"{len(x)} random windows -> {values.min():.4g}..{values.max():.4g}, all finite"

        def save_and_reload() -> str:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{spec.name}{self.suffix}"
                self.save(state["model"], path)
                again = self.predict_array(self.load(path, spec, input_shape, profile), x, profile)
            if not np.allclose(again, state["predictions"]):
                raise ModelContractError("the reloaded model predicts differently")
            return "save and load give identical predictions"

        return [("build", build, True), ("predict", predict, True), ("save and reload", save_and_reload, False)]
