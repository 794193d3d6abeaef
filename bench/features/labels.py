"""Label tables (CSV) for real-music sources, read with the stdlib, and the rules for bad rows.

A table's first `header_rows` rows name its columns: each column is the tuple of its header
cells, so FMA's four-row `echonest.csv` has columns like
`("echonest", "audio_features", "danceability", "")` and a one-row table `("energy",)`.
Data rows are streamed from the file.

The rules, in the order they apply. Every problem is one line naming the file and line, kept
as a Problem (printed by `bench run` and `bench validate`, stored in run.json):

1. The table cannot be used -> the run stops (LabelError): the file is missing, empty or not
   UTF-8 text, a column the source needs (its id or file column) is absent, a column is named
   twice, or a requested target (`--target`) is not a column of the table.
2. A row with more cells than the header -> dropped.
3. A row without an id -> dropped.
4. A duplicate id -> only the id's first row counts: every later row is dropped, whether or
   not the first one survives the label rule below.
5. A requested target whose cell is empty, not a finite number, or outside the target's range
   -> the row is dropped; one line lists every bad label of the row. Without `--target`
   (`bench validate` alone) every target of the table is requested.
6. Any other target whose cell is bad -> that label is left out of the track; the row stays
   and nothing is reported (a run that does not predict it is unaffected).
7. A column the source does not use -> reported once, ignored (the folder source; FMA's
   tables carry dozens of metadata columns that are ignored without a word).

Ranges (used to scale labels into 0..1 and by rule 5): the Spotify/Echo Nest features in
`KNOWN_RANGES` have their documented range (0..1; tempo 0..250 BPM); any other target column's
range is its observed minimum..maximum (maximum = minimum + 1 when all values are equal); a
trial scales by the minimum..maximum of its training songs alone, so test labels never set it.
Labels are scaled into 0..1 by that range, so a few extreme rows (a 1e9 typed for 0.9) squash
every other label into a sliver: `range_outliers` reports the target and those rows.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from bench.specs import Problem, Target

if TYPE_CHECKING:
    from _csv import _QuotingType  # the csv.QUOTE_* literals (typeshed only)

UNIT_FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "liveness", "speechiness")
KNOWN_RANGES: dict[str, tuple[float, float]] = {**{name: (0.0, 1.0) for name in UNIT_FEATURES}, "tempo": (0.0, 250.0)}


class LabelError(ValueError):
    """A label table that cannot be used at all (rule 1); the message names the file."""


@dataclass(frozen=True)
class Row:
    """One data row: the line it ends on (1-based) and its cells."""

    line: int
    cells: list[str]

    def cell(self, index: int | None) -> str:
        """The stripped cell at `index`; "" when the column is absent or the row is short."""
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""


class CsvFormat(TypedDict):
    """The csv.reader arguments of a Table."""

    delimiter: str
    quoting: _QuotingType


class Table:
    """A CSV file's columns (one tuple of header cells each) and a stream of its data rows.
    `delimiter` and `quoting` are the csv module's (a tab-separated table: "\\t", csv.QUOTE_NONE)."""

    def __init__(
        self, path: Path | str, header_rows: int = 1, delimiter: str = ",", quoting: _QuotingType = csv.QUOTE_MINIMAL
    ):
        self.path = Path(path)
        self.header_rows = header_rows
        self.format: CsvFormat = {"delimiter": delimiter, "quoting": quoting}
        self.problems: list[Problem] = []
        if not self.path.is_file():
            raise LabelError(f"{self.path}: label table not found")
        with self._open() as handle:
            header = [row for _, row in zip(range(header_rows), self._decoded(csv.reader(handle, **self.format)))]
        if len(header) < header_rows:
            raise LabelError(f"{self.path}: expected {header_rows} header row(s), found {len(header)}")
        width = max(len(row) for row in header)
        self.columns = [tuple(row[i].strip() if i < len(row) else "" for row in header) for i in range(width)]

    def _open(self):
        return open(self.path, newline="", encoding="utf-8-sig")

    def _decoded(self, rows: Iterator[list[str]]) -> Iterator[list[str]]:
        """`rows`, with a LabelError naming the file and the encoding if it is not UTF-8."""
        try:
            yield from rows
        except UnicodeDecodeError as exc:
            raise LabelError(
                f"{self.path}: not UTF-8 text (line {self._first_undecodable_line()} has byte "
                f"0x{exc.object[exc.start]:02x}); re-save it as UTF-8 (a spreadsheet's 'CSV UTF-8' format)"
            ) from None

    def _first_undecodable_line(self) -> int:
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return 0

    def find(self, *names: str) -> int | None:
        """The index of the column whose non-empty header cells are exactly `names`, or None."""
        matches = [i for i, column in enumerate(self.columns) if tuple(c for c in column if c) == names]
        if len(matches) > 1:
            raise LabelError(f"{self.path}: column {self.label(matches[0])} appears {len(matches)} times")
        return matches[0] if matches else None

    def require(self, *names: str) -> int:
        """The index of a column the source cannot do without (LabelError naming the file if absent)."""
        index = self.find(*names)
        if index is None:
            raise LabelError(f"{self.path}: no column {'/'.join(names)!r} (rows 1-{self.header_rows} are the header)")
        return index

    def label(self, index: int) -> str:
        return repr("/".join(c for c in self.columns[index] if c) or f"column {index + 1}")

    def where(self, row: Row) -> str:
        return f"{self.path.name} line {row.line}"

    def rows(self) -> Iterator[Row]:
        """The data rows in file order (blank lines skipped; over-long rows dropped, rule 2)."""
        with self._open() as handle:
            reader = csv.reader(handle, **self.format)
            for number, cells in enumerate(self._decoded(reader)):
                if number < self.header_rows or not any(c.strip() for c in cells):
                    continue
                row = Row(reader.line_num, cells)
                if len(cells) > len(self.columns):
                    self.problems.append(
                        Problem(self.where(row), f"{len(cells)} cells, the header has {len(self.columns)}", "dropped")
                    )
                    continue
                yield row


def number(text: str) -> float | None:
    """`text` as a finite float, else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def target_for(name: str, observed: Iterable[float] = ()) -> Target:
    """A known feature's documented range, else the observed min..max (which each trial
    re-takes from its training songs: `Target.fitted_on`)."""
    if name in KNOWN_RANGES:
        return Target(name, *KNOWN_RANGES[name])
    return Target(name, observed=True).fitted_on(np.fromiter(observed, dtype=np.float64))


OUTLIER_SPREADS = 10  # a value this many interquartile ranges beyond the quartiles is extreme
FEW_ROWS = 0.05  # "a few": at most this fraction of the rows (and at least one)


def range_outliers(name: str, cells: list[tuple[str, float]], file: str = "") -> Problem | None:
    """A warning when a few extreme rows set a target's observed range: `cells` are (where,
    value) of every row with a number. None for a known target (its range is documented),
    for fewer than 4 values, and when no value lies OUTLIER_SPREADS interquartile ranges
    beyond the quartiles or too many do to be a few rows."""
    if name in KNOWN_RANGES or len(cells) < 4:
        return None
    values = np.array([v for _, v in cells])
    q1, q3 = np.percentile(values, [25, 75])
    reach = OUTLIER_SPREADS * max(q3 - q1, 1e-12 * max(abs(q1), abs(q3), 1.0))
    extreme = [(where, v) for where, v in cells if v < q1 - reach or v > q3 + reach]
    if not extreme or len(extreme) > max(1, FEW_ROWS * len(cells)):
        return None
    rest = values[(values >= q1 - reach) & (values <= q3 + reach)]
    shown = ", ".join(f"{where}: {v:g}" for where, v in extreme[:5]) + (" …" if len(extreme) > 5 else "")
    return Problem(
        file,
        f"target {name!r}: its range {values.min():g}..{values.max():g} is set by {len(extreme)} extreme row(s) "
        f"({shown}); the other {len(rest)} lie in {rest.min():g}..{rest.max():g} and are squashed into a sliver "
        "of 0..1: fix or drop those rows",
        "kept",
    )


def requested_targets(options: dict, targets: dict[str, Target], table: Table) -> set[str]:
    """The targets the run predicts (`options["targets"]`; all when absent). Rule 1 for one
    the table does not have."""
    wanted = set(options.get("targets") or targets)
    missing = sorted(wanted - set(targets))
    if missing:
        raise LabelError(
            f"{table.path}: no label column {', '.join(map(repr, missing))}; it has: {', '.join(targets) or 'none'}"
        )
    return wanted


def label_problem(text: str, target: Target) -> str | None:
    """Why a label cell is unusable (rule 5), or None when it is fine."""
    if not text:
        return f"{target.name} is missing"
    value = number(text)
    if value is None:
        return f"{target.name} is not a finite number ({text!r})"
    if not target.low <= value <= target.high:
        return f"{target.name} {value:g} is outside {target.low:g}..{target.high:g}"
    return None


@dataclass
class RowRules:
    """Rules 3-6 over one table's rows, in file order: `check` each row, read `problems`."""

    targets: dict[str, Target]
    requested: Collection[str]
    problems: list[Problem] = field(default_factory=list)
    first_seen: dict[str, str] = field(default_factory=dict)

    def check(self, where: str, track_id: str, cells: dict[str, str]) -> dict[str, float] | None:
        """The row's usable labels, or None when the row is dropped (its problem recorded)."""
        if not track_id:
            self._drop(where, "no track id")
            return None
        if track_id in self.first_seen:
            self._drop(where, f"duplicate id {track_id!r} (first seen at {self.first_seen[track_id]}, which counts)")
            return None
        self.first_seen[track_id] = where
        labels: dict[str, float] = {}
        bad: list[str] = []
        for name, target in self.targets.items():
            text = cells.get(name, "").strip()
            why = label_problem(text, target)
            if why is None:
                labels[name] = float(text)
            elif name in self.requested:
                bad.append(why)
        if bad:
            self._drop(where, "; ".join(bad))
            return None
        return labels

    def _drop(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what, "dropped"))
        return None
