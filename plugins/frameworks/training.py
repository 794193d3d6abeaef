"""Keras training and prediction on windows read from the feature files on disk.

A set of windows that fits in the in-memory budget ($AFB_IN_MEMORY_MB, default 256 MiB) is
read once into arrays and trained with Keras's array path; a bigger one streams batch by
batch through a `keras.utils.PyDataset`, so memory stays bounded by the budget however many
songs there are. (Keras's PyDataset adapter alone costs ~15% of training time on small
inputs, which is why small sets are not streamed.)

Imported only inside trial processes (it imports keras, about 4.5 s with TensorFlow); the
process executor preloads it once in its fork server so each trial's process starts warm.
Backend-neutral: only `keras` APIs, so KERAS_BACKEND=jax or torch work unchanged.
"""

from __future__ import annotations

import json
import os
import time
import weakref

import numpy as np

from bench.features.reader import FeatureReader
from bench.frameworks import EpochObserver, report_epoch
from bench.profiles import Profile
from bench.trial.augment import batch_rng
from bench.trial.quiet import keras

DEFAULT_IN_MEMORY_MB = 256
LR_SCHEDULES = ("constant", "cosine")


def in_memory_budget_mb() -> float:
    return float(os.environ.get("AFB_IN_MEMORY_MB", DEFAULT_IN_MEMORY_MB))


class WindowBatches(keras.utils.PyDataset):
    """Batches of (features, scaled labels) read from disk; reshuffled every epoch. With
    `augment`, each batch is read through `reader.read_training` (bench.trial.augment) with a
    generator of (seed, epoch, batch), so every epoch sees fresh, reproducible changes."""

    def __init__(
        self,
        reader: FeatureReader,
        indices: np.ndarray,
        labels: np.ndarray | None,
        batch_size: int,
        seed: int | None = None,
        augment: bool = False,
    ):
        super().__init__()
        self.reader, self.indices, self.labels, self.batch_size = reader, np.asarray(indices), labels, batch_size
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.seed, self.augment = seed or 0, augment
        self.epoch = -1  # counts on_epoch_end calls: the first shuffle below makes it 0
        self.order = np.arange(len(self.indices))
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.indices) // self.batch_size)

    def __getitem__(self, batch: int):
        rows = self.order[batch * self.batch_size : (batch + 1) * self.batch_size]
        if self.augment:
            x = self.reader.read_training(self.indices[rows], batch_rng(self.seed, self.epoch, batch))
        else:
            x = self.reader.read(self.indices[rows])
        if self.labels is None:
            return (x,)
        return x, self.labels[rows].astype(np.float32).reshape(-1, 1)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.rng is not None:
            self.rng.shuffle(self.order)


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch, each reported to the run's progress display."""

    def __init__(self, epochs: int):
        super().__init__()
        self.seconds: list[float] = []
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)
        report_epoch(epoch + 1, self.epochs)


class LearningRateSchedule(keras.callbacks.Callback):
    """The profile's learning rate per batch: a linear warm-up over `warmup_epochs`, then
    constant or a cosine decay to 0 at the last of `epochs`."""

    def __init__(self, profile: Profile, steps_per_epoch: int):
        super().__init__()
        self.peak, self.schedule = profile.learning_rate, profile.lr_schedule
        self.warmup = profile.warmup_epochs * steps_per_epoch
        self.total, self.steps_per_epoch, self.epoch = profile.epochs * steps_per_epoch, steps_per_epoch, 0

    def rate(self, step: int) -> float:
        if step < self.warmup:
            return self.peak * (step + 1) / self.warmup
        if self.schedule == "constant":
            return self.peak
        progress = (step - self.warmup) / max(1.0, self.total - self.warmup)
        return self.peak * 0.5 * (1 + np.cos(np.pi * min(1.0, progress)))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rate(self.epoch * self.steps_per_epoch + batch))


def recipe_callbacks(profile: Profile, steps_per_epoch: int) -> list:
    """The callbacks of the profile's recipe that come before early stopping."""
    callbacks = []
    if profile.warmup_epochs > 0 or profile.lr_schedule != "constant":
        callbacks.append(LearningRateSchedule(profile, steps_per_epoch))
    if profile.use_ema:  # validate on, remember and keep the averaged weights
        callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    return callbacks


def compile_model(model: keras.Model, profile: Profile, jit_compile: bool = False) -> keras.Model:
    """Compile with the profile's optimizer and loss; `jit_compile` (a ModelSpec's choice) turns
    XLA on for TensorFlow, otherwise Keras's "auto" decides (XLA on GPU and JAX, not on CPU)."""
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    losses = {"mae": "mean_absolute_error", "mse": "mean_squared_error"}
    if profile.optimizer not in optimizers or profile.loss not in losses:
        raise ValueError(
            f"optimizer must be one of {list(optimizers)} and loss one of {list(losses)}. "
            f"Received: optimizer={profile.optimizer!r}, loss={profile.loss!r}"
        )
    if profile.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}. Received: {profile.lr_schedule!r}")
    recipe = dict(
        clipnorm=profile.clipnorm or None,
        use_ema=profile.use_ema,
        ema_momentum=profile.ema_momentum,
        weight_decay=profile.weight_decay or None,
    )
    model.compile(
        optimizer=optimizers[profile.optimizer](learning_rate=profile.learning_rate, **recipe),
        loss=losses[profile.loss],
        jit_compile=True if jit_compile and keras.backend.backend() == "tensorflow" else "auto",
    )
    return model


REUSABLE = ("Functional", "Sequential")  # the model classes whose config is their graph


class CompiledModels:
    """The compiled models of a process, reused across trials: a trial's freshly built model
    whose architecture, optimizer, loss and input shape match a model already trained here
    hands its initial weights (and its fresh optimizer's state) to that one, so the traced
    train, test and predict functions are kept instead of traced again. The numbers are a fresh
    model's: every variable and optimizer slot is overwritten. TensorFlow only (the backend whose
    tracing this saves, and the one this is tested on)."""

    def __init__(self, size: int = 4):
        self.size, self.models = size, {}
        self.reused: weakref.WeakSet = weakref.WeakSet()  # an id could be a later model's once this one is gone

    def was_reused(self, model: keras.Model) -> bool:
        """Whether `model` was handed to a trial after an earlier one trained it here."""
        return model in self.reused

    @staticmethod
    def key(model: keras.Model, input_shape: tuple[int, ...], jit_compile: bool) -> str:
        """The model's architecture and recipe, the generated names of it, its optimizer and its
        layers left out."""
        parts = [model.get_config(), model.optimizer.get_config(), str(model.loss), list(input_shape), jit_compile]
        text = json.dumps(parts, sort_keys=True, default=str)
        names = [model.name, model.optimizer.name, *(layer.name for layer in model.layers)]
        for i, name in enumerate(names):
            text = text.replace(json.dumps(name), f'"#{i}"')
        return text

    def reuse(self, fresh: keras.Model, input_shape: tuple[int, ...], jit_compile: bool) -> keras.Model:
        """`fresh` (built and compiled), or a model trained earlier here now holding its state.
        Only functional and Sequential models, whose config is their whole graph (a subclassed
        model's config need not say what `call` does)."""
        if keras.backend.backend() != "tensorflow" or type(fresh).__name__ not in REUSABLE:
            return fresh
        try:
            key = self.key(fresh, input_shape, jit_compile)
        except Exception:  # a custom layer whose config cannot be read: train it fresh
            return fresh
        kept = self.models.pop(key, None)
        chosen = fresh
        if kept is not None and kept.optimizer.built and _take_state(kept, fresh):
            chosen = kept
            self.reused.add(kept)
        self.models[key] = chosen  # the most recently used last; the oldest leaves first
        while len(self.models) > self.size:
            del self.models[next(iter(self.models))]
        return chosen


COMPILED = CompiledModels()  # this process's: an adapter is made afresh for every trial


def _take_state(kept: keras.Model, fresh: keras.Model) -> bool:
    """Copy `fresh`'s variables (weights, seed states) and a freshly built optimizer's into
    `kept`; False, copying nothing, where their variables do not line up."""
    fresh.optimizer.build(fresh.trainable_variables)
    pairs = [*zip(kept.variables, fresh.variables), *zip(kept.optimizer.variables, fresh.optimizer.variables)]
    counts = (len(kept.variables), len(kept.optimizer.variables))
    if counts != (len(fresh.variables), len(fresh.optimizer.variables)) or any(
        tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype for a, b in pairs
    ):
        return False
    for target, value in pairs:
        target.assign(value)
    return True


Windows = tuple | WindowBatches  # (x,) or (x, y) arrays, or batches streamed from disk


def windows(
    reader: FeatureReader,
    rows: np.ndarray,
    labels: np.ndarray | None,
    batch_size: int,
    seed: int | None = None,
    augment: bool = False,
) -> Windows:
    """The windows `rows` as arrays when they fit in the in-memory budget, else streamed;
    always streamed when augmented, since arrays would repeat one draw every epoch."""
    if augment or len(rows) * reader.row_bytes > in_memory_budget_mb() * 2**20:
        return WindowBatches(reader, rows, labels, batch_size, seed, augment)
    x = reader.read(rows)
    return (x,) if labels is None else (x, labels.astype(np.float32).reshape(-1, 1))


class Observed(keras.callbacks.Callback):
    """Tells the framework's EpochObserver each epoch's validation loss; stops training when it asks."""

    def __init__(self, observer: EpochObserver):
        super().__init__()
        self.observer, self.stopped_at = observer, None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is not None and self.observer.epoch_end(epoch + 1, float(loss)):
            self.stopped_at = epoch + 1
            self.model.stop_training = True


def fit(
    model: keras.Model,
    profile: Profile,
    train: Windows,
    validation: Windows | None,
    observer: EpochObserver | None = None,
) -> dict:
    """Train with early stopping on validation loss (restoring the best epoch from `min_epochs`
    on) and the profile's recipe, telling `observer` each epoch's validation loss; returns
    history, epoch timings and the epoch the observer stopped training at (None: it did not)."""
    timer = EpochTimer(profile.epochs)
    monitor = "val_loss" if validation is not None else "loss"
    stop = keras.callbacks.EarlyStopping(
        monitor=monitor, patience=profile.patience, restore_best_weights=True, start_from_epoch=profile.min_epochs
    )
    if isinstance(train, tuple):
        inputs = dict(x=train[0], y=train[1], batch_size=profile.batch_size, shuffle=True)
        steps = -(-len(train[0]) // profile.batch_size)
    else:
        inputs, steps = dict(x=train), len(train)
    observed = Observed(observer or EpochObserver())
    callbacks = [timer, *recipe_callbacks(profile, steps), stop, observed]
    history = model.fit(**inputs, validation_data=validation, epochs=profile.epochs, callbacks=callbacks, verbose=0)
    first = min(profile.min_epochs, len(history.history[monitor]) - 1)  # the first epoch early stopping weighs
    return {
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "epoch_seconds": timer.seconds,
        "best_epoch": int(np.argmin(history.history[monitor][first:])) + 1 + first,
        "stopped_at": observed.stopped_at,
    }


COLLAPSED_STD_RATIO = 0.1  # validation prediction std under this fraction of the labels' std
NOT_LEARNING_LOSS_RATIO = 0.95  # best training loss above this fraction of the constant-prediction loss
MEMORISING_LOSS_RATIO = 0.3  # final training loss under this fraction of the final validation loss
FITS_TRAINING_RATIO = 0.7  # best training loss under this fraction of the constant-prediction loss


def constant_loss(labels: np.ndarray, loss: str, prediction: float | None = None) -> float:
    """The loss of predicting `prediction` (by default the labels' own mean) for every window."""
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    errors = labels - (labels.mean() if prediction is None else prediction)
    return float(np.mean(np.abs(errors)) if loss == "mae" else np.mean(errors**2))


def constant_levels(train_labels: np.ndarray, validation_labels: np.ndarray | None, loss: str) -> dict[str, float]:
    """The training and validation loss of a model that predicts the training mean: the level a
    learning curve must leave to have learnt anything (drawn in the report's learning curves)."""
    levels = {"train": constant_loss(train_labels, loss)}
    if validation_labels is not None and len(validation_labels):
        levels["validation"] = constant_loss(validation_labels, loss, float(np.mean(train_labels)))
    return levels


def diagnose(
    history: dict[str, list[float]],
    train_labels: np.ndarray,
    loss: str,
    validation_labels: np.ndarray | None = None,
    validation_predictions: np.ndarray | None = None,
) -> list[str]:
    """What went wrong in a training run, among "collapsed" (validation predictions nearly
    constant), "not learning" (training loss never left the constant-prediction level) and
    "memorising" (training loss far below validation loss, or well below its constant level while
    validation loss never went below its own); empty when none applies."""
    found = []
    if validation_labels is not None and validation_predictions is not None and len(validation_labels) > 1:
        spread = float(np.std(validation_labels))
        if spread > 0 and float(np.std(validation_predictions)) < COLLAPSED_STD_RATIO * spread:
            found.append("collapsed")
    levels = constant_levels(train_labels, validation_labels, loss)
    train_loss = history.get("loss") or []
    if train_loss and min(train_loss) > NOT_LEARNING_LOSS_RATIO * levels["train"]:
        found.append("not learning")
    val_loss = history.get("val_loss") or []
    if train_loss and val_loss and _memorising(train_loss, val_loss, levels):
        found.append("memorising")
    return found


def _memorising(train_loss: list[float], val_loss: list[float], levels: dict[str, float]) -> bool:
    """Fits its training windows without learning anything that carries to validation."""
    if train_loss[-1] < MEMORISING_LOSS_RATIO * val_loss[-1]:
        return True
    fits_training = min(train_loss) < FITS_TRAINING_RATIO * levels["train"]
    return fits_training and "validation" in levels and min(val_loss) >= levels["validation"]


def predict(model: keras.Model, inputs: Windows, batch_size: int) -> np.ndarray:
    if isinstance(inputs, tuple):
        predictions = model.predict(inputs[0], batch_size=batch_size, verbose=0)
    else:
        predictions = model.predict(inputs, verbose=0)  # the batches carry their own size
    return np.asarray(predictions, dtype=np.float64).reshape(-1)
