"""`fma`: the Free Music Archive (FMA) with its Echo Nest audio features as labels.

    bench run --source fma --fma-metadata fma_metadata --fma-audio fma_small --subset small \\
              --split fma-official ...

    fma_metadata/tracks.csv     three header rows (section, field, then `track_id`); read:
                                track_id, ('artist', 'id'), ('set', 'split'), ('set', 'subset')
    fma_metadata/echonest.csv   four header rows (`echonest`, group, feature, then `track_id`);
                                read: track_id and the eight ('echonest', 'audio_features', *)
    fma_small/000/000002.mp3    <audio>/<first 3 digits of the 6-digit id>/<6-digit id>.mp3

Only tracks with Echo Nest features in the chosen subset are kept; subsets nest (small is in
medium, medium in large). The artist id is the group; ('set', 'split') is the official
training/validation/test split the `fma-official` split plugin uses. Bad label rows follow
the rules in `bench.features.labels`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.features.labels import RowRules, Table, requested_targets, target_for
from bench.specs import Catalog, OptionSpec, Problem, Track
from bench_plugins.sources.folder import required_path

NAME = "fma"
DESCRIPTION = (
    "Free Music Archive clips with Echo Nest labels (--fma-metadata DIR --fma-audio DIR --subset small|medium|large)"
)
SUBSETS = ("small", "medium", "large")  # nested: each includes the ones before it
DEFAULT_SUBSET = "small"
OPTIONS = (
    OptionSpec("fma-metadata", "the fma_metadata folder (tracks.csv, echonest.csv)", Path, metavar="DIR"),
    OptionSpec("fma-audio", "the audio folder, e.g. fma_small (000/000002.mp3 ...)", Path, metavar="DIR"),
    OptionSpec("subset", "the subset; subsets nest, medium includes small", default=DEFAULT_SUBSET, choices=SUBSETS),
)
FEATURES = ("acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "tempo", "valence")


def audio_path(audio_dir: Path, track_id: int) -> Path:
    """<audio>/000/000002.mp3 for track 2."""
    name = f"{track_id:06d}"
    return Path(audio_dir) / name[:3] / f"{name}.mp3"


def _track_number(text: str) -> str:
    """A track id as FMA writes it ("2"), or "" when the cell is not a whole number."""
    return str(int(text)) if text.isdigit() else ""


def echonest_labels(
    path: Path, options: dict[str, Any], members: dict
) -> tuple[dict[str, dict[str, float]], RowRules, Table]:
    """Labels by track id from echonest.csv for the tracks in `members`, after the label rules."""
    table = Table(path, header_rows=4)
    id_col = table.require("track_id")
    columns = {name: table.require("echonest", "audio_features", name) for name in FEATURES}
    targets = {name: target_for(name) for name in FEATURES}
    rules = RowRules(targets, requested_targets(options, targets, table))
    labels = {}
    for row in table.rows():
        track_id = _track_number(row.cell(id_col))
        if track_id not in members:
            continue
        found = rules.check(table.where(row), track_id, {name: row.cell(i) for name, i in columns.items()})
        if found is not None:
            labels[track_id] = found
    return labels, rules, table


def subset_members(path: Path, subset: str) -> tuple[dict[str, tuple[str, str | None]], list[Problem]]:
    """(artist group, official split) by track id for every track of `subset` in tracks.csv."""
    table = Table(path, header_rows=3)
    id_col, artist_col = table.require("track_id"), table.require("artist", "id")
    split_col, subset_col = table.require("set", "split"), table.require("set", "subset")
    wanted = set(SUBSETS[: SUBSETS.index(subset) + 1])
    rules = RowRules({}, ())  # ids and duplicates only
    members = {}
    for row in table.rows():
        track_id = _track_number(row.cell(id_col))
        if row.cell(subset_col) in wanted and rules.check(table.where(row), track_id, {}) is not None:
            members[track_id] = (row.cell(artist_col) or f"track {track_id}", row.cell(split_col) or None)
    return members, table.problems + rules.problems


def load(options: dict[str, Any]) -> Catalog:
    metadata = required_path(options, "fma_metadata", "--fma-metadata", directory=True)
    audio_dir = required_path(options, "fma_audio", "--fma-audio", directory=True)
    subset = options.get("subset") or DEFAULT_SUBSET
    if subset not in SUBSETS:
        raise ValueError(f"--subset must be one of {', '.join(SUBSETS)}. Received: {subset!r}")
    members, problems = subset_members(metadata / "tracks.csv", subset)
    labels, rules, echonest = echonest_labels(metadata / "echonest.csv", options, members)
    tracks = [
        Track(track_id, group, audio_path(audio_dir, int(track_id)), labels[track_id], official_split=split)
        for track_id, (group, split) in members.items()
        if track_id in labels
    ]
    if tracks and not any(t.path.is_file() for t in tracks):
        raise ValueError(
            f"--fma-audio {audio_dir}: none of the {len(tracks)} tracks is there (the first would be "
            f"{tracks[0].path}); is it the fma_{subset} folder?"
        )
    description = f"fma: {subset} subset, {len(tracks)} tracks with Echo Nest features"
    return Catalog(tracks, dict(rules.targets), problems + echonest.problems + rules.problems, description)
