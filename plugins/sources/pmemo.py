"""`pmemo`: PMEmo2019 (794 pop-song choruses), static valence and arousal on its 0..1 scale.

    bench run --source pmemo --pmemo-dir PMEmo2019 --target arousal ...

    annotations/static_annotations.csv   musicId, Arousal(mean), Valence(mean)
    metadata.csv                         musicId, fileName, title, artist, album, duration, ...
                                         (optional: the artist)
    chorus/<musicId>.mp3

Each song's group is its artist from metadata.csv, else the song alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.specs import Catalog, OptionSpec, Target
from bench_plugins.sources.annotated import labelled_clips

NAME = "pmemo"
DESCRIPTION = "PMEmo2019: 794 choruses, static valence and arousal 0..1 (--pmemo-dir DIR)"
OPTIONS = (OptionSpec("pmemo-dir", "the PMEmo2019 folder (annotations/, chorus/, metadata.csv)", Path, metavar="DIR"),)
IDS = ("musicId", "music_id", "id")
LABELS = {"valence": ("Valence(mean)", "valence_mean", "mean_valence"), "arousal": ("Arousal(mean)", "arousal_mean")}
TARGETS = {name: Target(name, 0.0, 1.0) for name in LABELS}


def load(options: dict[str, Any]) -> Catalog:
    return labelled_clips(
        options,
        NAME,
        "--pmemo-dir",
        table="annotations/static_annotations.csv",
        ids=IDS,
        labels=LABELS,
        targets=TARGETS,
        metadata="metadata.csv",
        clips="chorus",
        describe="{source}: {n} choruses, static valence and arousal 0..1",
    )
