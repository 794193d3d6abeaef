"""The sklearn framework adapter: a regressor on each window's feature flattened to one row."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.frameworks import Fitted, Framework, ModelContractError


class SklearnFramework(Framework):
    """An unfitted scikit-learn regressor, fed each window's feature flattened to one row and
    fitted on training plus validation windows (it has no early stopping to feed); saved
    with skops, which loads without running code (a pickle would run whatever it holds).
    Its predictions are not bounded: a linear baseline may leave 0..1."""

    name = "sklearn"
    suffix = ".skops"
    bounded = False
    normalized_input = False

    def build(self, spec, input_shape, profile, seed):
        estimator = spec.build(input_shape, profile)
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise ModelContractError(
                f"build() returned {type(estimator).__name__}, which has no fit/predict (framework 'sklearn')"
            )
        return estimator

    def fit(self, model, profile, reader, train, validation, y, seed):
        rows = train if validation is None else np.concatenate([train, validation])
        model.fit(reader.read(rows).reshape(len(rows), -1), y[rows])
        return Fitted()

    def predict_array(self, model, x, profile):
        return np.asarray(model.predict(x.reshape(len(x), -1)), dtype=np.float64).reshape(-1)

    def save(self, model, path):
        import skops.io

        skops.io.dump(model, path)

    def load(self, path, spec, input_shape, profile):
        """The saved estimator; ValueError naming the file for a pickle or a type skops does not trust."""
        import skops.io

        if Path(path).suffix != self.suffix:
            raise ValueError(
                f"{path}: not a {self.suffix} file (a .joblib model is a pickle, which runs code when loaded, so "
                "bench does not load it); train the model again with `bench run --save-models`"
            )
        try:
            untrusted = skops.io.get_untrusted_types(file=path)
        except Exception as exc:  # a damaged or foreign file: zipfile, json and skops errors alike
            raise ValueError(f"{path}: not a readable skops file ({type(exc).__name__}: {exc})") from None
        if untrusted:
            raise ValueError(
                f"{path}: holds types skops does not trust ({', '.join(untrusted)}); bench loads only "
                "scikit-learn's and numpy's own"
            )
        return skops.io.load(path, trusted=[])

    def count_params(self, model):
        """Learned numbers of a fitted estimator (attributes ending in '_', over every step)."""
        steps = [step for _, step in getattr(model, "steps", [("", model)])]
        return int(
            sum(
                np.size(v)
                for step in steps
                for k, v in vars(step).items()
                if k.endswith("_") and not k.startswith("_") and isinstance(v, (np.ndarray, float, np.floating))
            )
        )
