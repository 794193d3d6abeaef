"""The keras framework adapter: models built uncompiled by a plugin, trained with early stopping."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench.frameworks import CHECK_BATCH, SERIALIZE_HINT, Fitted, Framework, ModelContractError, unit_range_problem


class KerasFramework(Framework):
    """keras.Model built uncompiled by the plugin; compiled with the profile's optimizer and
    loss, trained with early stopping on the validation windows, saved as `.keras`."""

    name = "keras"
    suffix = ".keras"
    bounded = True
    augmentable = True

    def default_search_space(self):
        from optuna.distributions import CategoricalDistribution, FloatDistribution

        return {
            "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
            "optimizer": CategoricalDistribution(["adam", "sgd"]),
            "dropout": FloatDistribution(0.0, 0.5),
            "loss": CategoricalDistribution(["mae", "mse"]),
            "batch_size": CategoricalDistribution([8, 16, 32]),
        }

    def build(self, spec, input_shape, profile, seed):
        """A fresh model of `seed`, compiled; where this process already trained one of the same
        architecture and recipe, that one holding the fresh state (training.CompiledModels)."""
        from bench.trial.quiet import keras
        from bench_plugins.frameworks.training import COMPILED, compile_model

        keras.utils.set_random_seed(seed)
        model = spec.build(input_shape, profile)
        if not isinstance(model, keras.Model):
            raise ModelContractError(f"build() returned {type(model).__name__}, not a keras.Model (framework 'keras')")
        compiled = compile_model(model, profile, spec.jit_compile)
        return COMPILED.reuse(compiled, tuple(input_shape), spec.jit_compile)

    def fit(self, model, profile, reader, train, validation, y, seed):
        from bench.trial.quiet import keras
        from bench_plugins.frameworks import training

        batch = profile.batch_size
        augmented = getattr(reader, "augments_training", False)
        train_batches = training.windows(reader, train, y[train], batch, seed=seed, augment=augmented)
        val_batches = None if validation is None else training.windows(reader, validation, y[validation], batch)
        fitted = training.fit(model, profile, train_batches, val_batches, self.observer)
        val_predictions = None if val_batches is None else training.predict(model, val_batches, batch)
        val_labels = None if validation is None else y[validation]
        diagnosis = training.diagnose(fitted["history"], y[train], profile.loss, val_labels, val_predictions)
        fields = {
            "diagnosis": diagnosis,
            "epochs": len(fitted["epoch_seconds"]),
            "best_epoch": fitted["best_epoch"],
            "history": fitted["history"],
            "constant_loss": training.constant_levels(y[train], val_labels, profile.loss),
            "backend": keras.backend.backend(),
            "reused_compiled_model": training.COMPILED.was_reused(model),
        }
        if fitted["stopped_at"] is not None:
            fields["pruned_at_epoch"] = fitted["stopped_at"]
        return Fitted(fields, fitted["epoch_seconds"])

    def predict(self, model, reader, rows, profile):
        from bench_plugins.frameworks import training

        batch = profile.batch_size
        return training.predict(model, training.windows(reader, rows, None, batch), batch)

    def predict_array(self, model, x, profile):
        return np.asarray(model.predict(x, batch_size=profile.batch_size, verbose=0), dtype=np.float64).reshape(-1)

    def save(self, model, path):
        model.save(path)

    def load(self, path, spec, input_shape, profile):
        from bench.trial.quiet import keras

        spec.build(input_shape, profile)  # imports the plugin's modules, registering its custom layers
        return keras.saving.load_model(path, safe_mode=True)  # no lambda layers' code from the file

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
