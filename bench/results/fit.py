"""Boards fitted to a terminal's width: columns have priorities and minimum widths, a number is
never wrapped or cut, the least important columns drop (one line says which), long names are
shortened with an ellipsis; `columns` chooses the columns and `wide` keeps every one."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.text import visible

NAME_WIDTH = 22  # a model or feature name longer than this is shortened with "…" to fit
MIN_NAME_WIDTH = 8


@dataclass(frozen=True)
class Column:
    """A board column: its header, a short key for `--columns`, how much it matters (0 never
    drops; higher drops first), and whether it holds numbers (never wrapped)."""

    header: str
    key: str
    priority: int = 5
    numeric: bool = True


def select(columns: list[Column], wanted: list[str]) -> list[int]:
    """The indices of the `wanted` columns (keys or headers, any case); ValueError naming the
    unknown ones and the choices."""
    index: dict[str, int] = {}
    for i, c in enumerate(columns):
        index.setdefault(c.key.lower(), i)
        index.setdefault(c.header.lower(), i)
    unknown = [w for w in wanted if w.strip().lower() not in index]
    if unknown:
        raise ValueError(f"--columns: no column {', '.join(unknown)}. Columns: {', '.join(c.key for c in columns)}")
    return list(dict.fromkeys(index[w.strip().lower()] for w in wanted))


def _natural(column: Column, values: list[str]) -> int:
    """The width a column needs: its longest value, and its header (a number's header is never cut)."""
    header = cell_len(column.header) if column.numeric else max((cell_len(w) for w in column.header.split()), default=1)
    return max([header, *(cell_len(v) for v in values)])


def _table_width(widths: list[int]) -> int:
    return sum(widths) + 3 * len(widths) + 1  # padding of one each side, a border between and around


def fit(columns: list[Column], rows: list[list[str]], width: int) -> tuple[list[int], dict[int, int]]:
    """(the columns kept, in order; each kept column's width) for a table at most `width` wide."""
    natural = {i: _natural(c, [r[i] for r in rows]) for i, c in enumerate(columns)}
    widths = {i: min(w, NAME_WIDTH) if not columns[i].numeric else w for i, w in natural.items()}
    kept = list(range(len(columns)))
    while _table_width([widths[i] for i in kept]) > width:
        droppable = [i for i in kept if columns[i].priority > 0]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda i: (columns[i].priority, i)))
    for i in sorted(set(range(len(columns))) - set(kept), key=lambda i: (columns[i].priority, i)):
        trial = sorted([*kept, i])  # a less important column that fits in the room left comes back
        if _table_width([widths[j] for j in trial]) <= width:
            kept = trial
    excess = _table_width([widths[i] for i in kept]) - width
    for i in kept:  # still too wide with only the essential columns: shorten the names further
        if excess <= 0:
            break
        if not columns[i].numeric:
            cut = min(excess, widths[i] - MIN_NAME_WIDTH)
            if cut > 0:
                widths[i] -= cut
                excess -= cut
    return kept, {i: widths[i] for i in kept}


def shorten(value: str, width: int) -> str:
    """`value` cut to `width` cells with an ellipsis at the end."""
    if cell_len(value) <= width:
        return value
    out = ""
    for ch in value:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def render_table(
    title: str,
    columns: list[Column],
    rows: list[list[str]],
    console: Console,
    highlight: Set[tuple[int, int]] = frozenset(),
    dim_rows: Set[int] = frozenset(),
    chosen: list[str] | None = None,
    wide: bool = False,
) -> list[str]:
    """Print the table fitted to the console (or the chosen columns, or every one with `wide`);
    returns the headers of the columns left out. Text from data prints as what it is
    (bench.text.visible), never as markup or a terminal control."""
    title, rows = visible(title), [[visible(value) for value in row] for row in rows]
    order = select(columns, chosen) if chosen else list(range(len(columns)))
    sub_columns, sub_rows = [columns[i] for i in order], [[r[i] for i in order] for r in rows]
    if wide or chosen:
        kept = list(range(len(sub_columns)))
        widths = {i: _natural(c, [r[i] for r in sub_rows]) for i, c in enumerate(sub_columns)}
    else:
        kept, widths = fit(sub_columns, sub_rows, console.width)
    table = Table(title=Text(title), title_justify="left", header_style="bold", show_lines=False)
    for i in kept:
        c = sub_columns[i]
        table.add_column(Text(c.header), no_wrap=True, min_width=widths[i], max_width=widths[i], overflow="ellipsis")
    for r, row in enumerate(sub_rows):
        cells = []
        for i in kept:
            value = row[i] if sub_columns[i].numeric else shorten(row[i], widths[i])
            cells.append(Text(value, style="bold green" if (r, order[i]) in highlight else ""))
        table.add_row(*cells, style="dim" if r in dim_rows else None)
    needed = _table_width([widths[i] for i in kept])
    if (wide or chosen) and needed > console.width:
        before = console._width
        console.width = needed  # one stable width, whatever the terminal's
        try:
            console.print(table)
        finally:
            console._width = before
    else:
        console.print(table)
    return [sub_columns[i].header for i in range(len(sub_columns)) if i not in kept] if not chosen else []
