"""One adapter per model framework: how the harness builds, trains, predicts with, saves,
loads, counts and checks a model of that framework.

A `ModelSpec` names its framework (`"keras"`, `"sklearn"`, or one a plugin adds); the
registry refuses a name no plugin registered and hands the trial, `bench predict` and
`bench check-plugin` that framework's adapter, so none of them branches on the name. Adding a
framework is one `Framework` subclass, registered through the `bench_frameworks` hook:

    @hookimpl
    def bench_frameworks():
        return [FrameworkSpec("lightgbm", "gradient-boosted trees (lightgbm.train)", LightGBMFramework)]

(see examples/bench-lightgbm for a complete, installable one).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.features.reader import FeatureReader
from bench.hookspecs import hookimpl
from bench.profiles import Profile
from bench.specs import ModelSpec

CHECK_BATCH = 4  # random windows `bench check-plugin` feeds a model
SERIALIZE_HINT = (
    "custom layers need @keras.saving.register_keras_serializable() and a get_config() that "
    "returns every constructor argument; keras.layers.Lambda does not reload"
)


class ModelContractError(ValueError):
    """A model, or what it is fed, breaks the harness's contract; the message says how to fix it."""


@dataclass
class Fitted:
    """What training adds to a trial's record (`fields`), and each epoch's wall-clock seconds
    for frameworks that train in epochs."""

    fields: dict[str, Any] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)


Step = tuple[str, Callable[[], str], bool]  # (check name, step returning a one-line finding, blocking)


class Framework:
    """How the harness drives models of one framework. Subclass it and override every method
    that raises NotImplementedError; `check_model` and `checks` have defaults.

    `bounded` says the framework's models predict the target scaled into 0..1 (a sigmoid
    output): their outputs are checked to lie there before training and after, and a model
    that leaves the range fails its trial. Regressors fed the scaled labels directly
    (scikit-learn baselines) set it False. `normalized_input` says the trial normalises the
    features these models read (`--normalization`, bench/trial/normalization.py); False leaves
    them as cached, for models that scale their own input. `augmentable` says `fit` trains
    batch by batch over epochs and reads its training batches through the reader's
    `read_training(rows, rng)` when the reader has one (`bench run --augment`, bench/trial/augment.py);
    a run augments only such frameworks' models."""

    name = ""
    suffix = ""  # the saved model's file suffix
    bounded = True
    normalized_input = True
    augmentable = False

    def build(self, spec: ModelSpec, input_shape: tuple[int, ...], profile: Profile, seed: int) -> Any:
        """A fresh, ready-to-train model from `spec.build` (seeded for this trial)."""
        raise NotImplementedError

    def fit(
        self,
        model: Any,
        profile: Profile,
        reader: FeatureReader,
        train: np.ndarray,
        validation: np.ndarray | None,
        y: np.ndarray,
        seed: int,
    ) -> Fitted:
        """Train on the windows `train` (row indices into `reader`); `y` holds every window's
        label scaled into 0..1; `validation` rows (or None) may drive early stopping."""
        raise NotImplementedError

    def predict(self, model: Any, reader: FeatureReader, rows: np.ndarray, profile: Profile) -> np.ndarray:
        """One prediction per window of `rows`, as a 1-D float64 array."""
        return self.predict_array(model, reader.read(rows), profile)

    def predict_array(self, model: Any, x: np.ndarray, profile: Profile) -> np.ndarray:
        """One prediction per window of the feature array `x` (windows on the first axis)."""
        raise NotImplementedError

    def save(self, model: Any, path: Path) -> None:
        """Write the trained model to `path` (which ends in `suffix`)."""
        raise NotImplementedError

    def load(self, path: Path, spec: ModelSpec, input_shape: tuple[int, ...], profile: Profile) -> Any:
        """The model `save` wrote."""
        raise NotImplementedError

    def count_params(self, model: Any) -> int:
        """The number of learned values of a trained model."""
        raise NotImplementedError

    def check_model(self, model: Any, x: np.ndarray) -> None:
        """Before training: raise ModelContractError if the built model cannot take the batch
        `x` or its output breaks the contract. The default checks nothing."""

    def checks(self, spec: ModelSpec, input_shape: tuple[int, ...], profile: Profile) -> list[Step]:
        """The framework's steps for `bench check-plugin`, run in order; a step raises
        ModelContractError (or any error) to fail. The default builds, trains and predicts
        on random windows and round-trips a save."""
        rng = np.random.default_rng(0)
        x = rng.standard_normal((4 * CHECK_BATCH, *input_shape)).astype(np.float32)
        y = rng.uniform(0, 1, 4 * CHECK_BATCH)
        state: dict = {}

        def build() -> str:
            state["model"] = self.build(spec, input_shape, profile, seed=0)
            return type(state["model"]).__name__

        def fit_and_predict() -> str:
            with tempfile.TemporaryDirectory() as folder:
                reader = _array_reader(x, Path(folder))
                rows = np.arange(len(x))
                self.fit(state["model"], profile, reader, rows, None, y, seed=0)
                reader.close()
            predictions = self.predict_array(state["model"], x, profile)
            if predictions.shape != (len(x),) or not np.isfinite(predictions).all():
                raise ModelContractError(
                    f"predict gave shape {predictions.shape} (expected {(len(x),)}) or non-finite values"
                )
            state["predictions"] = predictions
            return f"fit and predict on {len(x)} random windows: {self.count_params(state['model']):,} parameters"

        def save_and_reload() -> str:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"model{self.suffix}"
                self.save(state["model"], path)
                again = self.predict_array(self.load(path, spec, input_shape, profile), x, profile)
            if not np.allclose(again, state["predictions"], atol=1e-5):
                raise ModelContractError("the reloaded model predicts differently")
            return "save and load give identical predictions"

        return [
            ("build", build, True),
            ("fit and predict", fit_and_predict, True),
            ("save and reload", save_and_reload, False),
        ]


@dataclass(frozen=True)
class FrameworkSpec:
    """A model framework a plugin adds: ModelSpec(framework=NAME) models are driven by
    `adapter`, a Framework subclass (instantiated without arguments)."""

    name: str
    description: str
    adapter: type[Framework]


def _array_reader(x: np.ndarray, folder: Path) -> FeatureReader:
    """A FeatureReader over `x`, written to folder (for checks that train like a trial)."""
    path = folder / "x.npy"
    np.save(path, x)
    return FeatureReader(path)


def unit_range_problem(values: np.ndarray, inputs: np.ndarray, what: str) -> str | None:
    """Why `values`, a model's outputs on `inputs`, are not a usable 0..1 prediction (None if they are)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        return f"{what} contain NaN or infinity"
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > 1:
        return (
            f"{what} span {low:.3g}..{high:.3g}, outside 0..1: the output is not bounded, and targets are "
            "scaled to 0..1, so the last layer must be a sigmoid (Dense(1, activation='sigmoid'))"
        )
    distinct_inputs = len(inputs) > 1 and bool(np.ptp(inputs.reshape(len(inputs), -1), axis=0).any())
    if distinct_inputs and high == low:
        return (
            f"{what} are all {low:.3g}: a constant output is not bounded in 0..1 by a sigmoid "
            "(a ReLU output stuck at 0?), and no gradient can train it: end in Dense(1, activation='sigmoid')"
        )
    return None


# ---------------------------------------------------------------------------- keras
class KerasFramework(Framework):
    """keras.Model built uncompiled by the plugin; compiled with the profile's optimizer and
    loss, trained with early stopping on the validation windows, saved as `.keras`."""

    name = "keras"
    suffix = ".keras"
    bounded = True
    augmentable = True

    def build(self, spec, input_shape, profile, seed):
        from bench.trial.quiet import keras
        from bench.trial.training import compile_model

        keras.utils.set_random_seed(seed)
        model = spec.build(input_shape, profile)
        if not isinstance(model, keras.Model):
            raise ModelContractError(f"build() returned {type(model).__name__}, not a keras.Model (framework 'keras')")
        return compile_model(model, profile, spec.jit_compile)

    def fit(self, model, profile, reader, train, validation, y, seed):
        from bench.trial import training
        from bench.trial.quiet import keras

        batch = profile.batch_size
        augmented = getattr(reader, "augments_training", False)
        train_batches = training.windows(reader, train, y[train], batch, seed=seed, augment=augmented)
        val_batches = None if validation is None else training.windows(reader, validation, y[validation], batch)
        fitted = training.fit(model, profile, train_batches, val_batches)
        fields = {
            "epochs": len(fitted["epoch_seconds"]),
            "best_epoch": fitted["best_epoch"],
            "history": fitted["history"],
            "backend": keras.backend.backend(),
        }
        return Fitted(fields, fitted["epoch_seconds"])

    def predict(self, model, reader, rows, profile):
        from bench.trial import training

        batch = profile.batch_size
        return training.predict(model, training.windows(reader, rows, None, batch), batch)

    def predict_array(self, model, x, profile):
        return np.asarray(model.predict(x, batch_size=profile.batch_size, verbose=0), dtype=np.float64).reshape(-1)

    def save(self, model, path):
        model.save(path)

    def load(self, path, spec, input_shape, profile):
        from bench.trial.quiet import keras

        spec.build(input_shape, profile)  # imports the plugin's modules, registering its custom layers
        return keras.saving.load_model(path)

    def count_params(self, model):
        return int(model.count_params())

    def check_model(self, model, x):
        self._check_input(model, tuple(x.shape[1:]))
        self._check_output_shape(model)
        problem = unit_range_problem(model.predict(x, verbose=0), x, f"outputs on {len(x)} windows before training")
        if problem:
            raise ModelContractError(problem)

    @staticmethod
    def _check_input(model, shape: tuple[int, ...]) -> str:
        if len(model.inputs) != 1:
            raise ModelContractError(f"the model has {len(model.inputs)} inputs; the harness feeds exactly one")
        got = tuple(model.input_shape)
        if got != (None, *shape):
            raise ModelContractError(
                f"the model expects input {got}, but its feature gives {(None, *shape)}: "
                "build the model for the input_shape it is given"
            )
        return f"{got}"

    @staticmethod
    def _check_output_shape(model) -> str:
        got = tuple(model.output_shape) if len(model.outputs) == 1 else f"{len(model.outputs)} outputs"
        if got != (None, 1):
            raise ModelContractError(
                f"the model outputs {got}, but the harness needs (None, 1): one value per window "
                "(end in Dense(1, activation='sigmoid'))"
            )
        return f"{got}"

    def checks(self, spec, input_shape, profile):
        from bench.trial.quiet import keras

        rng = np.random.default_rng(0)
        x = rng.standard_normal((CHECK_BATCH, *input_shape)).astype(np.float32)
        y = rng.uniform(0, 1, (CHECK_BATCH, 1)).astype(np.float32)
        state: dict = {}

        def build() -> str:
            state["model"] = model = self.build(spec, input_shape, profile, seed=0)
            return f"{model.name}: {model.count_params():,} parameters"

        def output_range() -> str:
            what = f"outputs on {CHECK_BATCH} random windows"
            values = state["model"].predict(x, verbose=0)
            problem = unit_range_problem(values, x, what)
            if problem:
                state["constant"] = float(np.min(values)) == float(np.max(values))
                raise ModelContractError(problem)
            return f"{what} within {float(np.min(values)):.3f}..{float(np.max(values)):.3f}"

        def train_step() -> str:
            model = state["model"]
            if not model.trainable_weights:
                raise ModelContractError("the model has no trainable weights")
            before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
            loss = float(np.asarray(model.train_on_batch(x, y)).reshape(-1)[0])
            if not np.isfinite(loss):
                raise ModelContractError(f"train_on_batch gave loss {loss}")
            after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
            if all(np.array_equal(b, a) for b, a in zip(before, after)):
                if state.get("constant"):
                    raise ModelContractError(
                        "one training step changed no weight: the output is constant, so no gradient reaches "
                        "the weights (a ReLU output stuck at 0?): end in Dense(1, activation='sigmoid')"
                    )
                raise ModelContractError(
                    "one training step changed no weight: is the graph disconnected from the loss?"
                )
            return f"one train_on_batch ({profile.optimizer}, {profile.loss}): loss {loss:.4f}"

        def predict() -> str:
            predictions = np.asarray(state["model"].predict(x, batch_size=2, verbose=0))
            if predictions.shape != (CHECK_BATCH, 1):
                raise ModelContractError(
                    f"predict on {CHECK_BATCH} windows gave shape {predictions.shape}, expected {(CHECK_BATCH, 1)}"
                )
            if not np.isfinite(predictions).all():
                raise ModelContractError(f"predict on {CHECK_BATCH} windows gave NaN or infinity")
            state["predictions"] = predictions
            return f"{CHECK_BATCH} windows in batches of 2 -> shape {predictions.shape}, all finite"

        def save_and_reload() -> str:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{spec.name}{self.suffix}"
                self.save(state["model"], path)
                try:
                    loaded = keras.saving.load_model(path)
                except Exception as exc:
                    raise ModelContractError(
                        f"saved, but keras.saving.load_model failed ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0]}): {SERIALIZE_HINT}"
                    ) from exc
            again = np.asarray(loaded.predict(x, verbose=0))
            if again.shape != state["predictions"].shape or not np.allclose(again, state["predictions"], atol=1e-5):
                raise ModelContractError(
                    f"the reloaded model predicts differently (largest difference "
                    f"{np.max(np.abs(again - state['predictions'])):.3g}): {SERIALIZE_HINT}"
                )
            return "the .keras file reloads with identical predictions"

        return [
            ("build", build, True),
            ("input shape", lambda: self._check_input(state["model"], input_shape), True),
            ("output shape", lambda: self._check_output_shape(state["model"]), True),
            ("output range", output_range, False),
            ("train step", train_step, True),
            ("predict", predict, True),
            ("save and reload", save_and_reload, False),
        ]


# ---------------------------------------------------------------------------- scikit-learn
class SklearnFramework(Framework):
    """An unfitted scikit-learn regressor, fed each window's feature flattened to one row and
    fitted on training plus validation windows (it has no early stopping to feed); saved
    with joblib. Its predictions are not bounded: a linear baseline may leave 0..1."""

    name = "sklearn"
    suffix = ".joblib"
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
        import joblib

        joblib.dump(model, path)

    def load(self, path, spec, input_shape, profile):
        import joblib

        return joblib.load(path)

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


BUILT_IN = (
    FrameworkSpec("keras", "keras.Model with a sigmoid output, trained with early stopping", KerasFramework),
    FrameworkSpec("sklearn", "scikit-learn regressor on flattened windows", SklearnFramework),
)


@hookimpl
def bench_frameworks():
    return list(BUILT_IN)
