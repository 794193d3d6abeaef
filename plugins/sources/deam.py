"""`deam`: the MediaEval Database for Emotional Analysis in Music (1,802 songs), static
valence and arousal on its 1..9 scale.

    bench run --source deam --deam-dir DEAM --target arousal ...

DEAM_Annotations.zip, DEAM_audio.zip (and, optionally, metadata.zip) unpacked side by side:

    annotations/annotations averaged per song/song_level/
        static_annotations_averaged_songs_1_2000.csv      song_id, valence_mean, ..., arousal_mean, ...
        static_annotations_averaged_songs_2000_2058.csv   (headers with leading spaces)
    MEMD_audio/<song_id>.mp3                               (--deam-audio to point elsewhere)
    metadata/metadata_2013.csv, metadata_2014.csv, metadata_2015.csv   optional: the artist

Both annotation files are read (either may be absent, not both); a song in both counts once,
from the first. Each song's group is its artist from the metadata when that is there, else
the song alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.features.labels import LabelError
from bench.specs import Catalog, OptionSpec, Problem, Target
from bench_plugins.sources.annotated import catalog, dataset_dir, groups_from, locate, open_table, table_entries

NAME = "deam"
DESCRIPTION = "DEAM: 1,802 songs, static valence and arousal 1..9 (--deam-dir DIR)"
OPTIONS = (
    OptionSpec("deam-dir", "the DEAM folder (annotations/, MEMD_audio/, optional metadata/)", Path, metavar="DIR"),
    OptionSpec("deam-audio", "the folder of <song_id>.mp3 (default: MEMD_audio in --deam-dir)", Path, metavar="DIR"),
)
SONG_LEVEL = "annotations/annotations averaged per song/song_level"
ANNOTATIONS = ("static_annotations_averaged_songs_1_2000.csv", "static_annotations_averaged_songs_2000_2058.csv")
METADATA = ("metadata/metadata_2013.csv", "metadata/metadata_2014.csv", "metadata/metadata_2015.csv")
LABELS = {"valence": ("valence_mean", "mean_valence"), "arousal": ("arousal_mean", "mean_arousal")}
IDS = ("song_id", "id", "songid")
TARGETS = {name: Target(name, 1.0, 9.0) for name in LABELS}


def artists(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """The artist by song id from whichever metadata tables are there."""
    found, problems = {}, []
    paths = [path for path in (locate(root, relative) for relative in METADATA) if path is not None]
    for path in paths:
        groups, trouble = groups_from(path, IDS, ("artist",), path.name)
        problems += trouble
        for song, artist in groups.items():
            found.setdefault(song, artist)
    if not paths:
        problems.append(Problem(f"{root / 'metadata'}", "no metadata_*.csv: every song is its own group", "ignored"))
    return found, problems


def load(options: dict[str, Any]) -> Catalog:
    root = dataset_dir(options, "deam_dir", "--deam-dir")
    audio_dir = Path(options.get("deam_audio") or root / "MEMD_audio")
    paths = [path for path in (locate(root, f"{SONG_LEVEL}/{name}") for name in ANNOTATIONS) if path is not None]
    if not paths:
        raise LabelError(f"{root / SONG_LEVEL / ANNOTATIONS[0]}: not found (deam: is --deam-dir the DEAM folder?)")
    tables = [open_table(path) for path in paths]
    groups, problems = artists(root)
    return catalog(
        NAME,
        (entry for table in tables for entry in table_entries(table, IDS, LABELS)),
        TARGETS,
        options,
        lambda song: audio_dir / f"{song}.mp3",
        groups,
        problems,
        tables,
        hint=f"; is {audio_dir} the MEMD_audio folder? (--deam-audio)",
        describe="{source}: {n} songs, static valence and arousal 1..9",
    )
