"""`tempocnn`: Schreiber & Müller's pretrained tempo networks, frozen, on `tempocnn-mel`.

The networks come from the `tempocnn` 0.0.8 wheel (plugins/models/tempocnn_wheel.py) and are
read with Keras 3's legacy-H5 loader; should that fail on a layer, the fully convolutional
`fcn` is rebuilt in keras.layers and its weights are read by layer name. As the package's
`TempoClassifier.estimate_tempo`: each window's slices are divided by their largest value
(`max_normalizer`; the package divides a whole file's slices by one maximum), the class
probabilities are averaged over the slices, and the argmax class i is 30 + i BPM. The harness
then aggregates windows per song (`--aggregate`). Nothing is trained.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.profiles import Profile
from bench_plugins.models.tempocnn_wheel import network_file

MIN_BPM = 30.0  # class 0; class i is 30 + i BPM (256 classes, 30..285)
LABEL_RANGE = (20.0, 400.0)  # what a tempo in BPM may plausibly be
FCN_LAYERS = ("Conv1", "Conv2", "Conv3", "Conv4", "Conv5", "Conv6", "Conv7", "Conv8", "Conv9")


def build_fcn(layout: dict[str, tuple[int, tuple[int, int], tuple[int, int]]], input_shape=(40, 256, 1)):
    """The `fcn` network's topology (fcn.h5's model_config) with its layer names; `layout` maps
    Conv1..Conv9 to (filters, kernel size, dilation rate), Conv9's filters being the tempo classes."""
    import keras
    from keras import layers

    def conv(x, index):
        filters, kernel, dilation = layout[f"Conv{index}"]
        return layers.Conv2D(
            filters, kernel, padding="same", dilation_rate=dilation, activation="elu", name=f"Conv{index}"
        )(x)

    inputs = keras.Input(shape=input_shape, name="input")
    bn0 = layers.BatchNormalization(name="BN0")(inputs)
    c1 = conv(bn0, 1)
    c2 = conv(layers.BatchNormalization(name="BN1")(layers.Concatenate(name="Concat1")([bn0, c1])), 2)
    c3 = conv(layers.BatchNormalization(name="BN2")(layers.Concatenate(name="Concat2")([bn0, c1, c2])), 3)
    bn3 = layers.BatchNormalization(name="BN3")(layers.AveragePooling2D((5, 1), name="average_pooling")(c3))
    c4 = conv(bn3, 4)
    c5 = conv(layers.BatchNormalization(name="BN4")(layers.Concatenate(name="Concat4")([bn3, c4])), 5)
    c6 = conv(layers.BatchNormalization(name="BN5")(layers.Concatenate(name="Concat5")([bn3, c4, c5])), 6)
    x = layers.BatchNormalization(name="BN6")(layers.MaxPooling2D((2, 1), name="max_pooling_6")(c6))
    x = layers.BatchNormalization(name="BN7")(layers.MaxPooling2D((2, 1), name="max_pooling_7")(conv(x, 7)))
    x = layers.BatchNormalization(name="BN8")(layers.MaxPooling2D((2, 1), name="max_pooling_8")(conv(x, 8)))
    x = layers.BatchNormalization(name="BN9")(conv(x, 9))
    outputs = layers.Activation("softmax", name="Activ10")(layers.GlobalAveragePooling2D(name="gap")(x))
    return keras.Model(inputs, outputs, name="fcn")


def _datasets(group, into: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every array under an h5py group, by its last name without Keras 2's ':0'."""
    import h5py

    for key, item in group.items():
        if isinstance(item, h5py.Dataset):
            into[key.split(":")[0]] = item[()]
        else:
            _datasets(item, into)
    return into


def _h5_weights(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """layer name -> weight name ('kernel', 'gamma', ...) -> values, from a Keras .h5 file."""
    import h5py

    with h5py.File(path, "r") as file:
        root = file["model_weights"] if "model_weights" in file else file
        found = {layer: _datasets(root[layer], {}) for layer in root if isinstance(root[layer], h5py.Group)}
    return {layer: arrays for layer, arrays in found.items() if arrays}


def load_weights_by_name(model, path: Path) -> None:
    """Set every weighted layer of `model` from the layer of the same name in the .h5 file."""
    stored = _h5_weights(path)
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in stored:
            raise ValueError(f"tempocnn: {path} has no weights for layer {layer.name!r}. Received: {sorted(stored)}")
        arrays = stored[layer.name]
        values = []
        for weight in layer.weights:
            name = weight.name.rsplit("/", 1)[-1].split(":")[0]
            if name not in arrays or tuple(arrays[name].shape) != tuple(weight.shape):
                got = {k: tuple(v.shape) for k, v in arrays.items()}
                raise ValueError(
                    f"tempocnn: {path} layer {layer.name!r} has no {name} of shape {tuple(weight.shape)}. "
                    f"Received: {got}"
                )
            values.append(arrays[name])
        layer.set_weights(values)


def fcn_layout(path: Path) -> dict[str, tuple[int, tuple[int, int], tuple[int, int]]]:
    """Conv1..Conv9's (filters, kernel size, dilation rate), from the model_config in the .h5 file."""
    import h5py

    with h5py.File(path, "r") as file:
        text = file.attrs.get("model_config")
    config = json.loads(text.decode() if isinstance(text, bytes) else text) if text else {}
    convs = {
        layer["config"]["name"]: layer["config"]
        for layer in config.get("config", {}).get("layers", [])
        if layer.get("class_name") == "Conv2D"
    }
    missing = [name for name in FCN_LAYERS if name not in convs]
    if missing:
        raise ValueError(f"tempocnn: {path} is not an fcn network (no {', '.join(missing)}). Received: {sorted(convs)}")
    return {
        name: (int(c["filters"]), tuple(c["kernel_size"]), tuple(c.get("dilation_rate", (1, 1))))
        for name, c in ((n, convs[n]) for n in FCN_LAYERS)
    }


def load_network(path: Path, rebuild: bool = False):
    """The Keras model in a tempocnn .h5 file: Keras's own loader, or (when it fails, or
    `rebuild`) the fcn topology rebuilt with the file's weights set by layer name."""
    import keras

    if not rebuild:
        try:
            return keras.saving.load_model(path, compile=False)
        except Exception as exc:  # a layer Keras 3 cannot rebuild from a Keras 2 config
            first = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    else:
        first = "rebuild asked for"
    try:
        layout = fcn_layout(path)
    except ValueError as exc:
        raise ValueError(f"tempocnn: Keras cannot load {path} ({first}), and {exc}") from None
    model = build_fcn(layout)
    load_weights_by_name(model, path)
    return model


class TempoEstimator:
    """A frozen tempo network: `tempocnn-mel` windows (n, slices, 40, 256, 1) in, one BPM per window out."""

    def __init__(self, network: str, path: Path):
        self.network = network
        self._h5 = Path(path).read_bytes()  # the saved model carries its network
        self._model = load_network(Path(path))

    def fit(self, x=None, y=None) -> TempoEstimator:
        """Trains nothing; refuses labels that are not a tempo in BPM."""
        if y is not None:
            self.check_labels(y)
        return self

    def check_labels(self, y: np.ndarray) -> None:
        """ValueError unless `y` (training labels) looks like tempi in BPM."""
        y = np.asarray(y, dtype=np.float64)
        y = y[np.isfinite(y)]
        low, high = LABEL_RANGE
        if len(y) and not (y.min() > 0 and low <= np.median(y) <= high and y.max() < 2 * high):
            raise ValueError(
                f"model tempocnn ({self.network}) predicts a tempo in BPM, so it needs labels with a median of "
                f"{low:g}..{high:g} BPM. Received: labels {y.min():.3g}..{y.max():.3g} (median {np.median(y):.3g})"
            )

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n, slices, 40, 256, 1) -> (n, classes): each window's class probabilities averaged over its slices."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 5 or x.shape[2:] != (40, 256, 1):
            raise ValueError(f"tempocnn takes windows of shape (slices, 40, 256, 1). Received: {x.shape[1:]}")
        n, slices = x.shape[:2]
        peak = x.reshape(n, -1).max(axis=1)
        x = x / np.where(peak > 0, peak, 1.0)[:, None, None, None, None]
        flat = x.reshape(n * slices, 40, 256, 1)
        p = np.asarray(self._model.predict(flat, batch_size=64, verbose=0), dtype=np.float64)
        return p.reshape(n, slices, -1).mean(axis=1)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """One tempo (BPM) per window: 30 + the argmax class."""
        if len(x) == 0:
            return np.zeros(0)
        return MIN_BPM + np.argmax(self.probabilities(x), axis=1).astype(np.float64)

    def count_params(self) -> int:
        return int(self._model.count_params())

    def __getstate__(self) -> dict:
        return {"network": self.network, "h5": self._h5}

    def __setstate__(self, state: dict) -> None:
        self.network, self._h5 = state["network"], state["h5"]
        with tempfile.NamedTemporaryFile(suffix=".h5", delete=False) as file:
            file.write(self._h5)
        try:
            self._model = load_network(Path(file.name))
        finally:
            os.unlink(file.name)


def builder(network: str):
    """`build(input_shape, profile)` for one of the wheel's networks (fetched on first use)."""

    def build(input_shape: tuple[int, ...], profile: Profile) -> TempoEstimator:
        if tuple(input_shape[1:]) != (40, 256, 1):
            raise ValueError(
                f"tempocnn ({network}) reads `tempocnn-mel` windows (slices, 40, 256, 1). Received: {input_shape}"
            )
        return TempoEstimator(network, network_file(network))

    build.__name__ = f"build_tempocnn_{network}"
    return build
