"""Built-in models: the seed paper's four CNNs (section 4.2) and two baselines.

The CNN modules import keras only when a model is built, so listing plugins stays fast.
"""

from __future__ import annotations

import importlib

from bench import hookimpl
from bench.specs import ModelSpec
from plugins.models import baselines

# module -> (name, feature, description); kept here so registering needs no keras import
CNNS = {
    "cnn_1dwav": ("1dwav", "wav", "paper 1DWav: parallel mid/side Conv1D branches on the waveform"),
    "cnn_2dwav": ("2dwav", "wav", "paper 2DWav: the waveform cut into 100 stacked slices, parallel Conv2D branches"),
    "cnn_2dspec": ("2dspec", "mel", "paper 2DSpec: Conv2D stack on the mid/side mel spectrogram"),
    "cnn_3dspec": ("3dspec", "mel", "paper 3DSpec: the spectrogram cut into 38 time slices, Conv3D stack"),
}


def _lazy_build(module_name: str):
    def build(input_shape, profile):
        return importlib.import_module(f"plugins.models.{module_name}").build(input_shape, profile)

    build.__name__ = f"build_{module_name}"
    return build


@hookimpl
def bench_models() -> list[ModelSpec]:
    cnns = [ModelSpec(name, description, feature, _lazy_build(module)) for module, (name, feature, description) in CNNS.items()]
    return cnns + [
        ModelSpec("mean", "baseline: predicts the training mean", "dsp", baselines.build_mean, "sklearn", baseline=True),
        ModelSpec("dsp-ridge", "baseline: ridge regression on DSP rhythm/loudness descriptors", "dsp",
                  baselines.build_dsp_ridge, "sklearn", baseline=True),
    ]
