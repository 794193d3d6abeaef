"""`folder`: your own clips in a folder and a CSV of their labels.

    bench run --source folder --audio-dir DIR --labels FILE.csv --target danceability ...

The CSV has one header row (names are case-sensitive):

    file     the clip's path relative to DIR (any format libsndfile reads: WAV, FLAC, OGG,
             MP3, AIFF ...; others go through audioread)
    id       the track's id. Without a `file` column the clip is the one file under DIR whose
             path without extension is the id (`rock/song01` -> DIR/rock/song01.flac)
    artist   optional (or `group`): what the artist split keeps together; empty or absent:
             each track is its own group
    others   a column of numbers (more than half of its non-empty cells) is a target; a
             known Spotify feature's column is a target even when it is not

At least one of `file` and `id` is needed; with only `file`, the file is the id. Bad rows and
columns follow the rules in `bench.features.labels`; audio is decoded later, one track at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from bench.features.labels import (
    KNOWN_RANGES,
    LabelError,
    Row,
    RowRules,
    Table,
    number,
    range_outliers,
    requested_targets,
    target_for,
)
from bench.specs import Catalog, OptionSpec, Problem, Target, Track

NAME = "folder"
DESCRIPTION = "your own clips in a folder plus a CSV of labels (--audio-dir DIR --labels FILE.csv)"
FILE, ID, GROUPS = "file", "id", ("artist", "group")
NOT_AUDIO = {".csv", ".md5", ".txt", ".json", ".md"}  # never taken for a clip when matching ids
OPTIONS = (
    OptionSpec("audio-dir", "the folder of clips", Path, metavar="DIR"),
    OptionSpec(
        "labels",
        "the label table (a file or id column, optional artist, one column per target)",
        Path,
        metavar="FILE.csv",
    ),
)


def required_path(options: dict[str, Any], key: str, flag: str, directory: bool) -> Path:
    """An option naming an existing file or folder, else a ValueError naming the flag."""
    if not options.get(key):
        raise ValueError(f"this source needs {flag}")
    path = Path(options[key])
    if not (path.is_dir() if directory else path.is_file()):
        raise ValueError(f"{flag} {path}: no such {'folder' if directory else 'file'}")
    return path


def _clips_by_id(audio_dir: Path) -> dict[str, list[Path]]:
    """Every file under `audio_dir` by its relative path without extension."""
    clips = defaultdict(list)
    for path in sorted(audio_dir.rglob("*")):
        if path.is_file() and path.suffix.lower() not in NOT_AUDIO and not path.name.startswith("."):
            clips[path.relative_to(audio_dir).with_suffix("").as_posix()].append(path)
    return clips


def _target_columns(
    table: Table, rows: list[Row], special: set[int]
) -> tuple[dict[str, Target], dict[str, int], list[Problem]]:
    """Targets (with their ranges) and their columns; other columns reported as ignored (rule 7)."""
    targets, columns, problems = {}, {}, []
    for index, name in enumerate(column[0] for column in table.columns):
        if index in special:
            continue
        cells = [row.cell(index) for row in rows if row.cell(index)]
        values = [v for v in map(number, cells) if v is not None]
        if name and (name in KNOWN_RANGES or 2 * len(values) > len(cells)):
            targets[name], columns[name] = target_for(name, values), index
            numbered = [(table.where(row), v) for row in rows if (v := number(row.cell(index))) is not None]
            problems += filter(None, [range_outliers(name, numbered, table.path.name)])
        else:
            why = "has no name" if not name else "is not file, id, artist or group and holds no numbers"
            problems.append(Problem(table.path.name, f"column {table.label(index)} {why}", "ignored"))
    return targets, columns, problems


def load(options: dict[str, Any]) -> Catalog:
    audio_dir = required_path(options, "audio_dir", "--audio-dir", directory=True)
    table = Table(required_path(options, "labels", "--labels", directory=False))
    counts = Counter(column[0] for column in table.columns if column[0])
    twice = [name for name, n in counts.items() if n > 1]
    if twice:
        raise LabelError(f"{table.path}: column {twice[0]!r} appears {counts[twice[0]]} times")
    file_col, id_col = table.find(FILE), table.find(ID)
    if file_col is None and id_col is None:
        raise LabelError(
            f"{table.path}: needs a {FILE!r} or an {ID!r} column; "
            f"its columns are {', '.join(c[0] for c in table.columns)}"
        )
    group_col = next((i for i in map(table.find, GROUPS) if i is not None), None)
    rows = list(table.rows())
    targets, columns, problems = _target_columns(table, rows, {file_col, id_col, group_col})
    rules = RowRules(targets, requested_targets(options, targets, table))
    clips = _clips_by_id(audio_dir) if file_col is None else {}
    tracks = []
    for row in rows:
        where, file = table.where(row), row.cell(file_col)
        track_id = row.cell(id_col) or file
        labels = rules.check(where, track_id, {name: row.cell(i) for name, i in columns.items()})
        if labels is None:
            continue
        if file_col is not None and not file:
            problems.append(Problem(where, f"id {track_id!r} has an empty {FILE!r} cell", "dropped"))
            continue
        if file and not _inside(file):
            problems.append(Problem(where, f"file {file!r} lies outside --audio-dir {audio_dir}", "dropped"))
            continue
        candidates = [audio_dir / file] if file else clips.get(track_id, [])
        if len(candidates) != 1:
            found = ", ".join(p.name for p in candidates) or "none"
            problems.append(
                Problem(
                    where, f"id {track_id!r} needs exactly one file {audio_dir}/{track_id}.*, found {found}", "dropped"
                )
            )
            continue
        tracks.append(Track(track_id, row.cell(group_col) or track_id, candidates[0], labels))
    problems += table.problems + rules.problems
    description = f"folder: {audio_dir} ({len(tracks)} clips listed in {table.path.name})"
    return Catalog(tracks, targets, sorted(problems, key=_line_order), description)


def _inside(file: str) -> bool:
    """Whether a `file` cell names a path under --audio-dir: relative, and never climbing out with `..`."""
    path = PurePosixPath(file.replace("\\", "/"))
    return not (path.is_absolute() or PureWindowsPath(file).drive or ".." in path.parts)


def _line_order(problem: Problem) -> tuple[int, int]:
    """Table-wide problems first, then rows by line number."""
    _, _, line = problem.where.partition(" line ")
    return (1, int(line)) if line.isdigit() else (0, 0)
