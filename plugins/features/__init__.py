"""Built-in feature transforms: `wav`, `mel`, the `dsp` descriptors, and `wav-beats` and `mel-beats`
(the waveform and spectrogram stacked one beat per row, for the opt-in beat models)."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FeatureSpec
from plugins.features import dsp, mel, mel_beats, wav, wav_beats


@hookimpl
def bench_features() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            m.NAME, m.DESCRIPTION, m.VERSION, m.compute, m.shape, m.PROFILE_FIELDS, getattr(m, "TIME_AXIS", None)
        )
        for m in (wav, mel, dsp, wav_beats, mel_beats)
    ]
