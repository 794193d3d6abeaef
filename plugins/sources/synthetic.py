"""`synthetic`: the built-in offline corpus, rendered to real audio files once and then read
back through the same decoding path as real music (see `bench_plugins.sources.synth`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from bench.features.cache import digest
from bench.profiles import Knob
from bench.specs import Catalog, OptionSpec, Problem, Target, Track
from bench_plugins.sources import synth

NAME = "synthetic"
DESCRIPTION = (
    "built-in synthetic songs (drums, bass, chords): danceability/energy/tempo labels and their generating cues"
)
RENDER_VERSION = "2"  # bump when synth.py renders different audio
TARGETS = {
    "danceability": Target("danceability", 0.0, 1.0),
    "energy": Target("energy", 0.0, 1.0),
    "tempo": Target("tempo", 60.0, 200.0),
    # The generating cues, for the hearing test (synth.cues); tempo is the label above.
    **{name: Target(name, 0.0, 1.0) for name in synth.CUE_COLUMNS if name != "tempo"},
}
KNOBS = (
    # Many short songs at quick: a CNN needs a few hundred distinct songs to hear rhythm rather
    # than recognise songs (docs/results.md has the measurements by corpus size).
    Knob("songs", "songs in the corpus when --songs is not given", 288, {"paper": 66}),
    Knob("seconds", "seconds per song when --seconds is not given", 10.0, {"paper": 300.0}),
)
OPTIONS = (
    OptionSpec("songs", "number of songs (default: the profile's, 288 for quick)", int, metavar="N"),
    OptionSpec("seconds", "seconds per song (default: the profile's, 10 for quick)", float, metavar="S"),
    OptionSpec("corpus-seed", "the corpus's own seed", int, default=0, metavar="N"),
)


def corpus_folder(cache_dir: Path, songs: int, seconds: float, seed: int) -> Path:
    """Where a corpus of these parameters lives; rendered there on first use."""
    key = digest({"songs": songs, "seconds": seconds, "seed": seed, "version": RENDER_VERSION})
    return Path(cache_dir) / "synthetic" / f"{songs}x{seconds:g}s-seed{seed}-{key[:8]}"


def load(options: dict[str, Any]) -> Catalog:
    profile = options["profile"]
    songs = int(options.get("songs") or profile.knob("songs"))
    seconds = float(options.get("seconds") or profile.knob("seconds"))
    problems = []
    if seconds < profile.window_seconds:  # a song shorter than the window would be all padding
        what = f"songs of {seconds:g} s are shorter than the {profile.window_seconds:g} s window: rendered songs of"
        problems.append(Problem(NAME, f"{what} {profile.window_seconds:g} s instead", "lengthened"))
        seconds = profile.window_seconds
    seed = int(options.get("corpus_seed") or 0)
    folder = corpus_folder(options["cache_dir"], songs, seconds, seed)
    labels = folder / "labels.csv"
    if not labels.exists():  # labels.csv is written last, so its presence means complete
        synth.render_corpus(folder, songs, seconds, seed)
    with open(labels, newline="") as handle:
        rows = list(csv.DictReader(handle))
    cues = synth.cues(songs, seconds, seed)
    tracks = [
        Track(
            row["track_id"],
            row["artist"],
            folder / row["file"],
            {**cues[row["track_id"]], **{name: float(row[name]) for name in synth.LABEL_COLUMNS}},
        )
        for row in rows
    ]
    description = f"synthetic: {songs} songs x {seconds:g} s, corpus seed {seed}"
    return Catalog(tracks, dict(TARGETS), problems, description)
