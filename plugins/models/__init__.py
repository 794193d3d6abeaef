"""Built-in models: the seed paper's four CNNs (section 4.2), two baselines, and the probe
floors of the CNNs' features (plugins.models.probes).

The CNN modules import keras only when a model is built, so listing plugins stays fast.
"""

from __future__ import annotations

import importlib

from bench import hookimpl
from bench.specs import ModelSpec
from plugins.models import baselines, probes

# module -> (name, feature, description); kept here so registering needs no keras import
CNNS = {
    "cnn_1dwav": ("1dwav", "wav", "parallel mid/side 1D CNNs on the raw waveform (2 x Conv1D, kernel 100)"),
    "cnn_2dwav": ("2dwav", "wav", "parallel mid/side 2D CNNs on the waveform cut into stacked slices"),
    "cnn_2dspec": ("2dspec", "mel", "2D CNN on the mid/side mel spectrogram (7 x Conv2D (3, 4), 2 pools)"),
    "cnn_3dspec": ("3dspec", "mel", "3D CNN on the mid/side mel spectrogram cut into stacked time slices"),
}
# The features the CNNs read, with their time axis (the features' TIME_AXIS): each gets a probe floor.
PROBED = {"mel": 1, "wav": 0}
# Tempo-synced stacking (issue 14): the same builders on stacks cut at beats; opt-in, so not in --all.
BEAT_CNNS = {
    "2dwav-beats": ("cnn_2dwav", "wav-beats", "2dwav on the waveform stacked one beat per row (opt-in)"),
    "3dspec-beats": ("cnn_3dspec", "mel-beats", "3dspec on the mel spectrogram stacked one beat per row (opt-in)"),
}


def _lazy_build(module_name: str):
    def build(input_shape, profile):
        return importlib.import_module(f"plugins.models.{module_name}").build(input_shape, profile)

    build.__name__ = f"build_{module_name}"
    return build


@hookimpl
def bench_models() -> list[ModelSpec]:
    cnns = [
        ModelSpec(name, description, feature, _lazy_build(module))
        for module, (name, feature, description) in CNNS.items()
    ] + [
        ModelSpec(name, description, feature, _lazy_build(module), opt_in=True)
        for name, (module, feature, description) in BEAT_CNNS.items()
    ]
    return (
        cnns
        + [
            ModelSpec(
                "mean", "baseline: predicts the training mean", "dsp", baselines.build_mean, "sklearn", baseline=True
            ),
            ModelSpec(
                "dsp-ridge",
                "baseline: ridge regression on DSP rhythm/loudness descriptors",
                "dsp",
                baselines.build_dsp_ridge,
                "sklearn",
                baseline=True,
            ),
        ]
        + [probes.probe_spec(feature, time_axis) for feature, time_axis in PROBED.items()]
    )
