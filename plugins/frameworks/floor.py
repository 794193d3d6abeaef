"""The floor framework (the probe floors): a scikit-learn regressor that reads the normalised array a CNN reads
and is told the validation windows apart (bench_plugins.models.floors chooses its alpha there)."""

from __future__ import annotations

from bench.frameworks import Fitted
from bench_plugins.frameworks.sklearn import SklearnFramework


class FloorFramework(SklearnFramework):
    """Like `sklearn`, but fed the trial's normalised features, and fitted as
    `fit(x_train, y_train, x_validation, y_validation)`: training windows for weights,
    validation windows for its choices."""

    name = "floor"
    normalized_input = True

    def fit(self, model, profile, reader, train, validation, y, seed):
        x = reader.read(train).reshape(len(train), -1)
        if validation is None or len(validation) == 0:
            model.fit(x, y[train])
        else:
            model.fit(x, y[train], reader.read(validation).reshape(len(validation), -1), y[validation])
        return Fitted({"alpha": float(model.alpha_)} if hasattr(model, "alpha_") else {})
