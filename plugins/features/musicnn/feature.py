"""`musicnn-msd` and `musicnn-mtt`: a window's musicnn embedding, the penultimate layer (200
values) averaged over the 3 s patches that cover the window.

The window arrives at the profile's decode rate; its mid channel ((L+R)/2, the mono musicnn's
librosa.load makes) is resampled to 16 kHz. Under `quick` (8 kHz) the bands above 4 kHz are
silent, which musicnn never saw in training: compare its probes across profiles with care.
The encoder is built and loaded once per process, at its first window.
"""

from __future__ import annotations

import numpy as np

from bench_plugins.features.musicnn import harness, network, spectrogram, weights

VERSION = "1"
PROFILE_FIELDS = ()  # the window's own fields only (sample_rate, window_seconds, hop_seconds)
EMBEDDING = network.BACKEND_UNITS
CHECKPOINTS = {"musicnn-msd": "MSD_musicnn", "musicnn-mtt": "MTT_musicnn"}
DESCRIPTIONS = {
    "musicnn-msd": "frozen musicnn (Million Song Dataset tagger) penultimate layer, mean over 3 s patches (200)",
    "musicnn-mtt": "frozen musicnn (MagnaTagATune tagger) penultimate layer, mean over 3 s patches (200)",
}

_encoders: dict[str, object] = {}  # checkpoint name -> loaded keras model, once per process


def encoder(checkpoint: str):
    """The pretrained musicnn of `checkpoint` ("MSD_musicnn" or "MTT_musicnn"), loaded once."""
    if checkpoint not in _encoders:
        _encoders[checkpoint] = network.pretrained(weights.checkpoint(checkpoint), spectrogram.PATCH_FRAMES)
    return _encoders[checkpoint]


def run(checkpoint: str, patches: np.ndarray) -> dict[str, np.ndarray]:
    """musicnn's outputs on (n, 187, 96) patches: {"penultimate": (n, 200), "tags": (n, 50)}."""
    outputs = encoder(checkpoint)(patches, training=False)
    return {name: np.asarray(harness.keras().ops.convert_to_numpy(v)) for name, v in outputs.items()}


def shape(profile) -> tuple[int]:
    return (EMBEDDING,)


def embed(checkpoint: str, window: np.ndarray, sample_rate: int) -> np.ndarray:
    """(2, samples) stereo at `sample_rate` -> (200,) float32 mean penultimate activation."""
    mono = harness.mid_side(np.asarray(window, dtype=np.float32))[0]
    patches = spectrogram.window_patches(mono, sample_rate)
    return run(checkpoint, patches)["penultimate"].mean(axis=0).astype(np.float32)


def compute_msd(window: np.ndarray, profile) -> np.ndarray:
    """(2, samples) -> (200,): the MSD musicnn's embedding of the window."""
    return embed("MSD_musicnn", window, profile.sample_rate)


def compute_mtt(window: np.ndarray, profile) -> np.ndarray:
    """(2, samples) -> (200,): the MTT musicnn's embedding of the window."""
    return embed("MTT_musicnn", window, profile.sample_rate)


COMPUTE = {"musicnn-msd": compute_msd, "musicnn-mtt": compute_mtt}
