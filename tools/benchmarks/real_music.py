"""Label table for a real-music benchmark set (see docs/performance.md for how the set is made).

    python tools/benchmarks/real_music.py DIR [--out DIR/labels.csv]

Every OGG/FLAC/MP3/WAV under DIR whose path has a `music` folder in it becomes a row of a
`folder`-source table: `file` (relative to DIR), `id`, `artist` (the Debian package it came
from) and two targets computed from the whole recording, so the harness has something real
to learn:

    tempo      librosa's tempo estimate (BPM) of the whole track, mono at 22050 Hz
    loudness   the whole track's RMS level in dB (mono), Spotify's `loudness` in spirit
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

AUDIO = {".ogg", ".oga", ".flac", ".mp3", ".wav"}


def music_files(root: Path) -> list[Path]:
    """The audio files under a `music` folder (any case) below `root`, sorted."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in AUDIO and any("music" in part.lower() for part in p.relative_to(root).parts[:-1])
    )


def track_labels(path: Path) -> dict[str, float]:
    """Tempo (BPM) and RMS loudness (dB) of one whole recording."""
    import librosa

    mono, sr = librosa.load(path, sr=22050, mono=True)
    tempo = float(np.atleast_1d(librosa.feature.tempo(y=mono, sr=sr))[0])
    loudness = float(10 * np.log10(np.mean(mono.astype(np.float64) ** 2) + 1e-12))
    return {"tempo": round(tempo, 2), "loudness": round(loudness, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or args.root / "labels.csv"
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "id", "artist", "tempo", "loudness"])
        for path in music_files(args.root):
            relative = path.relative_to(args.root)
            labels = track_labels(path)
            writer.writerow(
                [relative.as_posix(), f"{relative.parts[0]}/{path.stem}", relative.parts[0], *labels.values()]
            )
            print(relative, labels, flush=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
