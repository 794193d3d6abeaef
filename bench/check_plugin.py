"""`bench check-plugin NAME`: validate a model plugin the way a trial would use it.

The model is built for the quick profile at the input shape of its own feature, then fed
random windows: input and output shapes, outputs within the sigmoid's 0..1, one training
step with the harness's compile settings, predict, and a save/reload round trip that must
give the same predictions. Each check reports pass or fail with a message that says what is
wrong; checks that need an earlier one to pass are skipped when it failed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.profiles import QUICK, Profile
from bench.registry import Registry
from bench.specs import ModelSpec

BATCH = 4
SERIALIZE_HINT = (
    "custom layers need @keras.saving.register_keras_serializable() and a get_config() that "
    "returns every constructor argument; keras.layers.Lambda does not reload"
)


@dataclass(frozen=True)
class Check:
    """One check's outcome: ok is True (passed), False (failed) or None (skipped)."""

    name: str
    ok: bool | None
    message: str


class CheckFailed(Exception):
    """A check found the model wrong; the message says how."""


class _Checks:
    """Runs named steps in order; a failed blocking step skips everything after it."""

    def __init__(self):
        self.results: list[Check] = []
        self.blocked: str | None = None

    def run(self, name: str, step: Callable[[], str], blocking: bool = False) -> None:
        if self.blocked:
            self.results.append(Check(name, None, f"skipped: {self.blocked!r} failed"))
            return
        try:
            self.results.append(Check(name, True, step()))
        except CheckFailed as exc:
            self.results.append(Check(name, False, str(exc)))
        except Exception as exc:  # the plugin's own error is the finding
            self.results.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
        if blocking and self.results[-1].ok is False:
            self.blocked = name


def _in_unit_range(values: np.ndarray, what: str) -> str:
    if not np.isfinite(values).all():
        raise CheckFailed(f"{what} contain NaN or infinity")
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > 1:
        raise CheckFailed(
            f"{what} span {low:.3g}..{high:.3g}, outside 0..1: targets are scaled to 0..1, "
            "so the last layer must be a sigmoid"
        )
    return f"{what} within {low:.3f}..{high:.3f}"


def _keras_checks(spec: ModelSpec, shape: tuple[int, ...], profile: Profile, checks: _Checks) -> None:
    import keras

    from bench.training import compile_model

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, *shape)).astype(np.float32)
    y = rng.uniform(0, 1, (BATCH, 1)).astype(np.float32)
    state: dict = {}

    def build() -> str:
        model = spec.build(shape, profile)
        if not isinstance(model, keras.Model):
            raise CheckFailed(f"build() returned {type(model).__name__}, not a keras.Model (framework 'keras')")
        state["model"] = model
        return f"{model.name}: {model.count_params():,} parameters"

    def input_shape() -> str:
        model = state["model"]
        if len(model.inputs) != 1:
            raise CheckFailed(f"the model has {len(model.inputs)} inputs; the harness feeds exactly one")
        got = tuple(model.input_shape)
        if got != (None, *shape):
            raise CheckFailed(f"the model expects input {got}, but feature {spec.feature!r} gives {(None, *shape)}")
        return f"{got}"

    def output_shape() -> str:
        model = state["model"]
        got = tuple(model.output_shape) if len(model.outputs) == 1 else f"{len(model.outputs)} outputs"
        if got != (None, 1):
            raise CheckFailed(f"the model outputs {got}, but the harness needs (None, 1): one value per window")
        return f"{got}"

    def output_range() -> str:
        return _in_unit_range(state["model"].predict(x, verbose=0), f"outputs on {BATCH} random windows")

    def train_step() -> str:
        model = compile_model(state["model"], profile)
        if not model.trainable_weights:
            raise CheckFailed("the model has no trainable weights")
        before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
        loss = float(np.asarray(model.train_on_batch(x, y)).reshape(-1)[0])
        if not np.isfinite(loss):
            raise CheckFailed(f"train_on_batch gave loss {loss}")
        after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
        if all(np.array_equal(b, a) for b, a in zip(before, after)):
            raise CheckFailed("one training step changed no weight: is the graph disconnected from the loss?")
        return f"one train_on_batch ({profile.optimizer}, {profile.loss}): loss {loss:.4f}"

    def predict() -> str:
        predictions = np.asarray(state["model"].predict(x, batch_size=2, verbose=0))
        if predictions.shape != (BATCH, 1):
            raise CheckFailed(f"predict on {BATCH} windows gave shape {predictions.shape}, expected {(BATCH, 1)}")
        if not np.isfinite(predictions).all():
            raise CheckFailed(f"predict on {BATCH} windows gave NaN or infinity")
        state["predictions"] = predictions
        return f"{BATCH} windows in batches of 2 -> shape {predictions.shape}, all finite"

    def save_and_reload() -> str:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{spec.name}.keras"
            state["model"].save(path)
            try:
                loaded = keras.saving.load_model(path)
            except Exception as exc:
                raise CheckFailed(
                    f"saved, but keras.saving.load_model failed ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0]}): {SERIALIZE_HINT}"
                ) from exc
        again = np.asarray(loaded.predict(x, verbose=0))
        if again.shape != state["predictions"].shape or not np.allclose(again, state["predictions"], atol=1e-5):
            raise CheckFailed(
                f"the reloaded model predicts differently (largest difference "
                f"{np.max(np.abs(again - state['predictions'])):.3g}): {SERIALIZE_HINT}"
            )
        return "the .keras file reloads with identical predictions"

    checks.run("build", build, blocking=True)
    checks.run("input shape", input_shape, blocking=True)
    checks.run("output shape", output_shape, blocking=True)
    checks.run("output range", output_range)
    checks.run("train step", train_step, blocking=True)
    checks.run("predict", predict, blocking=True)
    checks.run("save and reload", save_and_reload)


def _sklearn_checks(spec: ModelSpec, shape: tuple[int, ...], profile: Profile, checks: _Checks) -> None:
    import io

    import joblib

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4 * BATCH, int(np.prod(shape))))
    y = rng.uniform(0, 1, 4 * BATCH)
    state: dict = {}

    def build() -> str:
        estimator = spec.build(shape, profile)
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise CheckFailed(
                f"build() returned {type(estimator).__name__}, which has no fit/predict (framework 'sklearn')"
            )
        state["estimator"] = estimator
        return type(estimator).__name__

    def fit_and_predict() -> str:
        predictions = np.asarray(state["estimator"].fit(x, y).predict(x), dtype=float)
        if predictions.shape != (len(x),) or not np.isfinite(predictions).all():
            raise CheckFailed(f"predict gave shape {predictions.shape} (expected {(len(x),)}) or non-finite values")
        state["predictions"] = predictions
        return f"fit on {len(x)} flattened windows of {x.shape[1]} values, predict {predictions.shape}"

    def save_and_reload() -> str:
        buffer = io.BytesIO()
        joblib.dump(state["estimator"], buffer)
        buffer.seek(0)
        again = np.asarray(joblib.load(buffer).predict(x), dtype=float)
        if not np.allclose(again, state["predictions"]):
            raise CheckFailed("the reloaded estimator predicts differently")
        return "joblib round trip gives identical predictions"

    checks.run("build", build, blocking=True)
    checks.run("fit and predict", fit_and_predict, blocking=True)
    checks.run("save and reload", save_and_reload)


def check_model(registry: Registry, name: str, profile: Profile = QUICK) -> list[Check]:
    """Every check of model `name` (a PluginError when no plugin registers it)."""
    spec = registry.get("model", name)
    checks = _Checks()
    state_shape: list[tuple[int, ...]] = []

    def feature() -> str:
        if spec.feature not in registry.features:
            known = ", ".join(sorted(registry.features)) or "none"
            raise CheckFailed(
                f"the model reads feature {spec.feature!r}, which no plugin registers (registered: {known})"
            )
        state_shape.append(tuple(registry.features[spec.feature].shape(profile)))
        return f"{spec.feature!r} gives windows of shape {state_shape[0]} at profile {profile.name}"

    checks.run("feature", feature, blocking=True)
    if not state_shape:
        return checks.results
    if spec.framework == "keras":
        _keras_checks(spec, state_shape[0], profile, checks)
    elif spec.framework == "sklearn":
        _sklearn_checks(spec, state_shape[0], profile, checks)
    else:
        checks.results.append(
            Check("framework", False, f"framework must be 'keras' or 'sklearn'. Received: {spec.framework!r}")
        )
    return checks.results


def render(name: str, results: list[Check], console) -> bool:
    """Print the checks as a table and a one-line verdict; True when none failed."""
    from rich.table import Table

    table = Table(title=f"check-plugin: model {name!r}", title_justify="left", header_style="bold")
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    marks = {True: "[green]pass[/]", False: "[bold red]FAIL[/]", None: "[dim]skipped[/]"}
    for check in results:
        table.add_row(check.name, marks[check.ok], check.message)
    console.print(table)
    failed = [c.name for c in results if c.ok is False]
    if failed:
        console.print(f"[bold red]{name}: {len(failed)} of {len(results)} checks failed:[/] {', '.join(failed)}")
    else:
        console.print(f"[green]{name}: all {len(results)} checks passed.[/]")
    return not failed
