"""Frozen pretrained musicnn encoders as feature transforms: `musicnn-msd` and `musicnn-mtt`.

musicnn 0.1.0's TF1 checkpoints (fetched once from its PyPI wheel, `weights`), run by a Keras 3
port of its graph (`network`) on its own input (`spectrogram`); `feature` is the transform, and
`python -m bench_plugins.features.musicnn.tags FILE...` prints the MTT/MSD tagger's tags of a file.
Nothing here imports TensorFlow or Keras until a window is computed, so listing plugins stays
fast. See docs/pretrained.md.
"""

from __future__ import annotations

from bench.specs import FeatureSpec

NAMES = ("musicnn-msd", "musicnn-mtt")


def specs() -> list[FeatureSpec]:
    """The two feature specs; their module (and Keras) loads at the first window."""
    from bench_plugins.features.musicnn import feature

    return [
        FeatureSpec(name, feature.DESCRIPTIONS[name], feature.VERSION, feature.COMPUTE[name], feature.shape,
                    feature.PROFILE_FIELDS)
        for name in NAMES
    ]  # fmt: skip
