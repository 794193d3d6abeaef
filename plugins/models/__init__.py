"""Built-in models: the seed paper's four CNNs (section 4.2), two baselines and the probe floors
of the CNNs' features (bench_plugins.models.floors); opt-in, the pretrained tempo networks (`tempocnn`,
framework `frozen`), the `dfa-ridge` baseline and probes on the frozen musicnn embeddings, driven
by the `probe` framework (bench_plugins.models.probes).

The CNN modules import keras only when a model is built, so listing plugins stays fast.
"""

from __future__ import annotations

import importlib

from bench import hookimpl
from bench.profiles import Knob
from bench.specs import ModelSpec
from bench_plugins.models import baselines, floors, probes

WAV_STRIDE = Knob("wav_stride", "stride of the first waveform convolution (the paper's: 1)", 8, {"paper": 1})
# module -> the knobs its build reads; here, so registering needs no keras import
KNOBS = {
    "cnn_1dwav": (Knob("wav_kernel", "1D convolution kernel size in samples (the paper's: 100)", 100), WAV_STRIDE),
    "cnn_2dwav": (Knob("wav_slices", "stacked slices the waveform is cut into (the paper's: 100)", 100), WAV_STRIDE),
    "cnn_2dspec": (),
    "cnn_3dspec": (Knob("spec_slices", "time slices the spectrogram is cut into (the paper's: 38)", 38),),
}

# module -> (name, feature, description); kept here so registering needs no keras import
CNNS = {
    "cnn_1dwav": ("1dwav", "wav", "parallel mid/side 1D CNNs on the raw waveform (2 x Conv1D, kernel 100)"),
    "cnn_2dwav": ("2dwav", "wav", "parallel mid/side 2D CNNs on the waveform cut into stacked slices"),
    "cnn_2dspec": ("2dspec", "mel", "2D CNN on the mid/side mel spectrogram (7 x Conv2D (3, 4), 2 pools)"),
    "cnn_3dspec": ("3dspec", "mel", "3D CNN on the mid/side mel spectrogram cut into stacked time slices"),
}
# The features the CNNs read, with their time axis (the features' TIME_AXIS): each gets a probe floor.
PROBED = {"mel": 1, "wav": 0}
# Tempo-synced stacking: the same builders on stacks cut at beats; opt-in, so not in --all.
BEAT_CNNS = {
    "2dwav-beats": ("cnn_2dwav", "wav-beats", "2dwav on the waveform stacked one beat per row (opt-in)"),
    "3dspec-beats": ("cnn_3dspec", "mel-beats", "3dspec on the mel spectrogram stacked one beat per row (opt-in)"),
}
# Pretrained tempo networks from the tempocnn wheel (issue 22): name -> (network, description); opt-in
TEMPO_NETWORKS = {
    "tempocnn": ("fcn", "pretrained tempo network, tempocnn's default fcn (Schreiber), frozen: BPM (opt-in)"),
    "tempocnn-cnn": ("cnn", "pretrained tempo network, tempocnn's cnn (Schreiber & Müller 2018), frozen: BPM (opt-in)"),
}


def _tempo_build(network: str):
    def build(input_shape, profile):
        from bench_plugins.models.tempocnn import builder

        return builder(network)(input_shape, profile)

    build.__name__ = f"build_tempocnn_{network}"
    return build


def _lazy_build(module_name: str):
    def build(input_shape, profile):
        return importlib.import_module(f"bench_plugins.models.{module_name}").build(input_shape, profile)

    build.__name__ = f"build_{module_name}"
    return build


@hookimpl
def bench_models() -> list[ModelSpec]:
    cnns = [
        ModelSpec(name, description, feature, _lazy_build(module), knobs=KNOBS[module])
        for module, (name, feature, description) in CNNS.items()
    ] + [
        ModelSpec(name, description, feature, _lazy_build(module), opt_in=True, knobs=KNOBS[module])
        for name, (module, feature, description) in BEAT_CNNS.items()
    ]
    cnns += probes.musicnn_probes()  # and the probes on the frozen musicnn embeddings (opt-in)
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
            ModelSpec(
                "dfa-ridge",
                "baseline: ridge on Streich & Herrera's DFA danceability (Essentia's Danceability), opt-in",
                "dfa",
                baselines.build_dsp_ridge,
                "sklearn",
                baseline=True,
                opt_in=True,
            ),
        ]
        + [
            ModelSpec(
                name, description, "tempocnn-mel", _tempo_build(network), "frozen", opt_in=True, targets=("tempo",)
            )
            for name, (network, description) in TEMPO_NETWORKS.items()
        ]
        + [floors.probe_spec(feature, time_axis) for feature, time_axis in PROBED.items()]
    )


@hookimpl
def bench_frameworks():
    return probes.FRAMEWORKS
