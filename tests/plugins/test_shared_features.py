"""The built-in features that derive from shared intermediates (bench.intermediates) give what
they gave when each computed its own STFT, mel power and resampling: the stored outputs of the
per-feature code (tests/fixtures/features_before_shared_inputs.npz, from commit 8ae2b5d), here
computed the way the feature stage does, every feature of a profile drawing on one window's
intermediates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.cli.check_plugin import music_like_windows
from bench.features.extraction import declared_inputs, run_feature
from bench.features.shared import WindowInputs
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry

BEFORE = Path(__file__).parents[1] / "fixtures" / "features_before_shared_inputs.npz"
PROFILES = {"quick": QUICK, "paper": PAPER.replace(window_seconds=5.0, hop_seconds=5.0)}


def _stage_outputs(profile_name: str) -> dict[str, list[np.ndarray]]:
    """Every stored feature of the profile on the stored windows, sharing one WindowInputs per window."""
    registry, profile = load_registry(), PROFILES[profile_name]
    stored = np.load(BEFORE)
    names = sorted({key.split("/")[1] for key in stored.files if key.startswith(profile_name + "/")})
    features = [registry.features[name] for name in names]
    declared = [record for f in features for record in declared_inputs(f, profile).values()]
    outputs: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for window in music_like_windows(profile, 2):
        shared = WindowInputs(window, profile.sample_rate, declared)
        for feature in features:
            outputs[feature.name].append(np.asarray(run_feature(feature, window, profile, shared), np.float32))
    return outputs


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
def test_shared_intermediates_give_the_per_feature_values(profile_name):
    stored = np.load(BEFORE)
    outputs = _stage_outputs(profile_name)
    keys = [key for key in stored.files if key.startswith(profile_name + "/")]
    assert {key.split("/")[1] for key in keys} >= {"mel", "dsp", "mel-beats", "tempocnn-mel"}
    for key in keys:
        _, name, index = key.split("/")
        # Float rounding only: scipy's float32 FFT where librosa's STFT used numpy's.
        np.testing.assert_allclose(outputs[name][int(index)], stored[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_mel_is_cut_from_the_onset_stft_when_mel_beats_runs_beside_it():
    """Under quick, `mel`'s mid spectrum (hop 256) is every other frame of the beat tracker's (hop 128)."""
    registry = load_registry()
    declared = declared_inputs(registry.features["mel-beats"], QUICK)
    window = music_like_windows(QUICK, 1)[0]
    shared = WindowInputs(window, QUICK.sample_rate, declared.values())
    onset = shared.get(declared["onset"].spectrum())
    mid = shared.get(declared["mid"].spectrum())
    assert np.shares_memory(onset, mid)
