"""Built-in feature transforms: `wav`, `mel`, the `dsp` descriptors, `wav-beats` and `mel-beats`
(the waveform and spectrogram stacked one beat per row, for the opt-in beat models), `dfa`
(DFA danceability), `tempocnn-mel` (the pretrained tempo networks' input) and the frozen
pretrained `musicnn-msd` and `musicnn-mtt` embeddings (docs/pretrained.md)."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FeatureSpec
from bench_plugins.features import dfa, dsp, mel, mel_beats, musicnn, tempocnn_mel, wav, wav_beats


def _spec(module) -> FeatureSpec:
    """The FeatureSpec of a built-in feature module (its optional TIME_AXIS and inputs included)."""
    optional = {"time_axis": getattr(module, "TIME_AXIS", None), "inputs": getattr(module, "inputs", None)}
    return FeatureSpec(
        module.NAME, module.DESCRIPTION, module.VERSION, module.compute, module.shape, module.PROFILE_FIELDS, **optional
    )


@hookimpl
def bench_features() -> list[FeatureSpec]:
    return [_spec(m) for m in (wav, mel, dsp, wav_beats, mel_beats, dfa, tempocnn_mel)] + musicnn.specs()
