"""`emomusic`: 1000 Songs for Emotional Analysis of Music (744 distinct 45 s clips), static
valence and arousal on its 1..9 scale.

    bench run --source emomusic --emomusic-dir emoMusic --target valence ...

The annotations and clips archives unpacked side by side:

    annotations/static_annotations.csv   song_id, mean_arousal, std_arousal, mean_valence, std_valence
    songs_info.csv                       song_id, file_name, Artist, Song title, ... (optional: the artist;
                                         also found in annotations/)
    clips_45seconds/<song_id>.mp3

Each song's group is its artist from songs_info.csv, else the song alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.specs import Catalog, OptionSpec, Target
from bench_plugins.sources.annotated import labelled_clips

NAME = "emomusic"
DESCRIPTION = "emoMusic: 744 clips of 45 s, static valence and arousal 1..9 (--emomusic-dir DIR)"
OPTIONS = (
    OptionSpec(
        "emomusic-dir", "the emoMusic folder (annotations/, clips_45seconds/, songs_info.csv)", Path, metavar="DIR"
    ),
)
IDS = ("song_id", "id")
LABELS = {"valence": ("mean_valence", "valence_mean"), "arousal": ("mean_arousal", "arousal_mean")}
TARGETS = {name: Target(name, 1.0, 9.0) for name in LABELS}


def load(options: dict[str, Any]) -> Catalog:
    return labelled_clips(
        options,
        NAME,
        "--emomusic-dir",
        table="annotations/static_annotations.csv",
        ids=IDS,
        labels=LABELS,
        targets=TARGETS,
        metadata="songs_info.csv",
        clips="clips_45seconds",
        describe="{source}: {n} clips, static valence and arousal 1..9",
    )
