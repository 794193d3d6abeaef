"""`python -m bench_plugins.features.musicnn.tags FILE...`: the tags musicnn's own tagger head gives
whole files, as musicnn's `top_tags` does (16 kHz mono, back-to-back 3 s patches, tag
likelihoods averaged over them). A check that the port hears music as musicnn does; a run
does not use it."""

from __future__ import annotations

import argparse
from pathlib import Path

import librosa
import numpy as np

from bench_plugins.features.musicnn import feature, spectrogram

# musicnn 0.1.0's configuration.py: the tagger heads' outputs, in order.
MTT_LABELS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano", "ambient",
    "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals", "no vocals",
    "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man",
    "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello",
    "no voice", "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip
MSD_LABELS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
    "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
    "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient",
    "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening",
    "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad", "House",
    "happy",
)  # fmt: skip
LABELS = {"MTT_musicnn": MTT_LABELS, "MSD_musicnn": MSD_LABELS}


def tag_scores(audio: np.ndarray, checkpoint: str = "MTT_musicnn") -> np.ndarray:
    """16 kHz mono -> (50,) tag likelihoods averaged over musicnn's back-to-back 3 s patches
    (a clip shorter than one patch is repeated to fill it)."""
    log_mel = spectrogram.log_mel(np.asarray(audio, dtype=np.float32))
    batch = spectrogram.musicnn_patches(log_mel)
    if not len(batch):
        batch = spectrogram.patches(log_mel)
    return feature.run(checkpoint, batch.astype(np.float32))["tags"].mean(axis=0)


def top_tags(audio: np.ndarray, checkpoint: str = "MTT_musicnn", count: int = 5) -> list[tuple[str, float]]:
    """The `count` likeliest tags of 16 kHz mono audio, best first."""
    scores = tag_scores(audio, checkpoint)
    return [(LABELS[checkpoint][i], float(scores[i])) for i in np.argsort(-scores)[:count]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench_plugins.features.musicnn.tags", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path, help="audio files")
    parser.add_argument("--model", choices=sorted(LABELS), default="MTT_musicnn")
    parser.add_argument("--top", type=int, default=5, help="tags per file")
    args = parser.parse_args(argv)
    for path in args.files:
        audio, _ = librosa.load(path, sr=spectrogram.SR, mono=True)
        tags = ", ".join(f"{tag} {score:.2f}" for tag, score in top_tags(audio, args.model, args.top))
        print(f"{path.name}: {tags}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
