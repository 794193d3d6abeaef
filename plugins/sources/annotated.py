"""What the sources of annotated research datasets share (DEAM, emoMusic, PMEmo, Ballroom,
GiantSteps Tempo, Music4All): finding a dataset's files, reading its tables with loosely
matched headers, one-number annotation files, and the catalog built from the annotations.

Headers match whatever their case, spacing and punctuation (` valence_mean`, `Valence(mean)`
and `valence mean` are one name); a table is comma- or tab-separated, whichever its header line
holds more of. Each annotated track then follows the label rules of `bench.features.labels`
(one id, first row counts, bad requested labels drop the row), and a track whose audio file is
absent is dropped with a problem naming the annotation and the path.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.features.labels import LabelError, RowRules, Table, number
from bench.specs import Catalog, Problem, Target, Track
from bench_plugins.sources.folder import required_path


@dataclass(frozen=True)
class Entry:
    """One annotated track before the label rules: where it is written, its id, its label cells."""

    where: str
    id: str
    cells: dict[str, str]


def dataset_dir(options: dict[str, Any], key: str, flag: str) -> Path:
    """The dataset's folder from its flag (a ValueError naming the flag when absent or not a folder)."""
    return required_path(options, key, flag, directory=True)


def locate(root: Path, relative: str) -> Path | None:
    """`root/relative` when it is a file, else the first file of that name anywhere under `root`."""
    path = root / relative
    if path.is_file():
        return path
    return next(iter(sorted(p for p in root.rglob(Path(relative).name) if p.is_file())), None)


def needed(root: Path, relative: str, source: str, flag: str) -> Path:
    """A file the source cannot do without (LabelError naming the expected path when absent)."""
    path = locate(root, relative)
    if path is None:
        raise LabelError(f"{root / relative}: not found ({source}: is {flag} the dataset's folder?)")
    return path


def open_table(path: Path) -> Table:
    """A one-header-row table, tab-separated (quotes taken literally) when its header line holds
    more tabs than commas, else comma-separated."""
    if not path.is_file():
        raise LabelError(f"{path}: label table not found")
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    if header.count("\t") > header.count(","):
        return Table(path, delimiter="\t", quoting=csv.QUOTE_NONE)
    return Table(path)


def plain(name: str) -> str:
    """A header cell reduced to its lower-case letters and digits."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def column(table: Table, *names: str, required: bool = True) -> int | None:
    """The index of the one column whose header is any of `names` (loosely matched); None when
    absent and not `required`, else a LabelError naming the file and its columns."""
    wanted = {plain(name) for name in names}
    matches = [i for i, cells in enumerate(table.columns) if plain(cells[0]) in wanted]
    if len(matches) > 1:
        raise LabelError(f"{table.path}: columns {', '.join(map(table.label, matches))} all match {names[0]!r}")
    if not matches and required:
        raise LabelError(
            f"{table.path}: no {names[0]!r} column; its columns are {', '.join(c[0] for c in table.columns)}"
        )
    return matches[0] if matches else None


def plain_id(text: str) -> str:
    """An id cell as written, with a whole number written as a float ("12.0") made "12"."""
    value = number(text) if "." in text else None
    return str(int(value)) if value is not None and value.is_integer() else text


def table_entries(table: Table, id_names: tuple[str, ...], labels: Mapping[str, tuple[str, ...]]) -> Iterator[Entry]:
    """One Entry per data row: the id from the first of `id_names`' column, each label from its column."""
    id_col = column(table, *id_names)
    columns = {name: column(table, *names) for name, names in labels.items()}
    for row in table.rows():
        yield Entry(table.where(row), plain_id(row.cell(id_col)), {name: row.cell(i) for name, i in columns.items()})


def groups_from(path: Path | None, id_names: tuple[str, ...], group_names: tuple[str, ...], what: str):
    """The group (e.g. artist) by track id from an optional metadata table, and its problems.
    An absent or unusable table is one `ignored` problem: every track is then its own group."""
    if path is None:
        return {}, [Problem(what, "not found: every track is its own group", "ignored")]
    try:
        table = open_table(path)
        id_col, group_col = column(table, *id_names), column(table, *group_names)
        groups = {}
        for row in table.rows():
            track_id, group = plain_id(row.cell(id_col)), row.cell(group_col)
            if track_id and group:
                groups.setdefault(track_id, group)
    except LabelError as exc:
        return {}, [Problem(str(path), f"{exc}; every track is its own group", "ignored")]
    return groups, table.problems


def number_file_entry(path: Path, track_id: str, label: str, where: str) -> Entry:
    """An annotation file holding one number (the first whitespace-separated token counts)."""
    tokens = path.read_text(encoding="utf-8", errors="replace").split()
    return Entry(where, track_id, {label: tokens[0] if tokens else ""})


def requested(options: dict[str, Any], targets: dict[str, Target], source: str) -> set[str]:
    """The targets the run predicts (all when absent); a ValueError for one the source lacks."""
    wanted = set(options.get("targets") or targets)
    missing = sorted(wanted - set(targets))
    if missing:
        raise LabelError(f"source {source}: no target {', '.join(map(repr, missing))}; it has: {', '.join(targets)}")
    return wanted


def catalog(
    source: str,
    entries: Iterable[Entry],
    targets: dict[str, Target],
    options: dict[str, Any],
    audio: Callable[[str], Path],
    groups: Mapping[str, str],
    problems: Iterable[Problem] = (),
    tables: Iterable[Table] = (),
    hint: str = "",
    describe: str = "{source}: {n} tracks",
) -> Catalog:
    """The catalog of every entry that passes the label rules and has its audio file.

    `audio(id)` gives the file's path, or raises LookupError saying why there is none; `groups`
    maps ids to groups (a track without one is its own group). Raises when annotated tracks
    exist but none has its audio (`hint` says which folder was expected). Problems come sorted
    by file and line; `describe` is the description, with {source} and {n} (the track count)."""
    rules = RowRules(targets, requested(options, targets, source))
    tracks, missing = [], []
    for entry in entries:
        labels = rules.check(entry.where, entry.id, entry.cells)
        if labels is None:
            continue
        try:
            path = audio(entry.id)
            if not path.is_file():
                raise LookupError(f"no audio file {path}")
        except LookupError as exc:
            missing.append(Problem(entry.where, f"id {entry.id!r}: {exc.args[0]}", "dropped"))
            continue
        tracks.append(Track(entry.id, groups.get(entry.id) or entry.id, path, labels))
    if missing and not tracks:
        first = missing[0].what
        raise ValueError(f"{source}: none of the {len(missing)} annotated tracks has its audio ({first}){hint}")
    found = [*problems, *(p for table in tables for p in table.problems), *rules.problems, *missing]
    return Catalog(tracks, dict(targets), sorted(found, key=_order), describe.format(source=source, n=len(tracks)))


def labelled_clips(
    options: dict[str, Any],
    source: str,
    flag: str,
    *,
    table: str,
    ids: tuple[str, ...],
    labels: Mapping[str, tuple[str, ...]],
    targets: dict[str, Target],
    metadata: str,
    clips: str,
    describe: str,
) -> Catalog:
    """The catalog of a dataset laid out as one label table (`table`, under the folder `flag`
    names), an optional `metadata` table naming each track's artist (its group) and a folder
    `clips` of `<id>.mp3` files (emoMusic, PMEmo, Music4All)."""
    root = dataset_dir(options, flag.removeprefix("--").replace("-", "_"), flag)
    labels_table = open_table(needed(root, table, source, flag))
    groups, problems = groups_from(locate(root, metadata), ids, ("artist",), str(root / metadata))
    folder = root / clips
    return catalog(
        source,
        table_entries(labels_table, ids, labels),
        targets,
        options,
        lambda clip: folder / f"{clip}.mp3",
        groups,
        problems,
        [labels_table],
        hint=f"; is {folder} there?",
        describe=describe,
    )


def _order(problem: Problem) -> tuple[str, int]:
    """By file, then line (a problem of a whole file first)."""
    file, _, line = problem.where.partition(" line ")
    return file, int(line) if line.isdigit() else 0
