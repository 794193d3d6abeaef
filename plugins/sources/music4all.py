"""`music4all`: Music4All (109,269 30 s clips) with the Spotify audio features it ships.

    bench run --source music4all --music4all-dir music4all --target danceability ...

Tab-separated tables, despite the .csv names:

    id_metadata.csv      id, spotify_id, popularity, release, danceability, energy, key, mode,
                         valence, tempo, duration_ms
    id_information.csv   id, artist, song, album_name   (optional: the artist)
    audios/<id>.mp3

Targets: danceability, energy, valence (0..1) and tempo (0..250 BPM). Each clip's group is its
artist from id_information.csv, else the clip alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.features.labels import target_for
from bench.specs import Catalog, OptionSpec
from bench_plugins.sources.annotated import labelled_clips

NAME = "music4all"
DESCRIPTION = "Music4All: 30 s clips with Spotify danceability, energy, valence, tempo (--music4all-dir DIR)"
OPTIONS = (
    OptionSpec(
        "music4all-dir", "the Music4All folder (id_metadata.csv, id_information.csv, audios/)", Path, metavar="DIR"
    ),
)
FEATURES = ("danceability", "energy", "valence", "tempo")
TARGETS = {name: target_for(name) for name in FEATURES}


def load(options: dict[str, Any]) -> Catalog:
    return labelled_clips(
        options,
        NAME,
        "--music4all-dir",
        table="id_metadata.csv",
        ids=("id",),
        labels={name: (name,) for name in FEATURES},
        targets=TARGETS,
        metadata="id_information.csv",
        clips="audios",
        describe="{source}: {n} clips with Spotify features",
    )
