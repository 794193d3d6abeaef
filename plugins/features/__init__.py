"""Built-in feature transforms: `wav`, `mel`, the `dsp` descriptors, `wav-beats` and `mel-beats`
(the waveform and spectrogram stacked one beat per row, for the opt-in beat models), `dfa`
(DFA danceability), `tempocnn-mel` (the pretrained tempo networks' input) and the frozen
pretrained `musicnn-msd` and `musicnn-mtt` embeddings (docs/pretrained.md)."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FeatureSpec
from bench_plugins.features import dfa, dsp, mel, mel_beats, musicnn, tempocnn_mel, wav, wav_beats


@hookimpl
def bench_features() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            m.NAME, m.DESCRIPTION, m.VERSION, m.compute, m.shape, m.PROFILE_FIELDS, getattr(m, "TIME_AXIS", None),
            getattr(m, "inputs", None),
        )  # fmt: skip
        for m in (wav, mel, dsp, wav_beats, mel_beats, dfa, tempocnn_mel)
    ] + musicnn.specs()
