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


class EpochObserver:
    """Told each epoch's validation loss by a framework that trains in epochs (`Framework.observer`);
    `epoch_end` returning True asks the framework to stop training there (bench tune's pruning).
    This default observes nothing."""

    def epoch_end(self, epoch: int, validation_loss: float) -> bool:
        return False


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
    a run augments only such frameworks' models. `scaled_labels` says `fit` gets the labels
    scaled into 0..1 by the target's range and predictions are scaled back; False hands `fit`
    the labels in the target's own units and takes predictions as they come (a pretrained
    network that predicts BPM)."""

    name = ""
    suffix = ""  # the saved model's file suffix
    observer = EpochObserver()  # the trial sets one for the length of `fit` (bench/trial/pruning.py)
    bounded = True
    normalized_input = True
    augmentable = False
    scaled_labels = True

    def default_search_space(self) -> dict | None:
        """`bench tune`'s space (Profile field -> Optuna distribution) for models that declare
        none; None: such models are not tuned."""
        return None

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
        label, scaled into 0..1 unless `scaled_labels` is False; `validation` rows (or None)
        may drive early stopping."""
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
                reader = array_reader(x, Path(folder))
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


EpochListener = Callable[[int, int], None]
_epoch_listener: EpochListener | None = None  # set by the process running a trial (bench.pipeline.executors)


def report_epoch(done: int, total: int) -> None:
    """Called by an adapter's training loop after each epoch (`done` of at most `total`): the
    runner's progress display moves within the trial. Costs nothing when no one listens."""
    if _epoch_listener is not None:
        _epoch_listener(done, total)


def listen_to_epochs(listener: EpochListener | None) -> None:
    """Where this process's `report_epoch` calls go (None: nowhere)."""
    global _epoch_listener
    _epoch_listener = listener


def array_reader(x: np.ndarray, folder: Path) -> FeatureReader:
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
