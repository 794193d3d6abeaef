"""The hearing test: which of the synthetic corpus's generating cues each model can hear.

The `bench hearing` command, which the synthetic source contributes, is `bench run` with every
cue (`bench_plugins.sources.synth.CUE_COLUMNS`) as a target and the song and artist splits by default;
its board has one row per model and split and one column per cue: song-level R² and its 95%
interval, from the leaderboard's own cells. The `control` cue is a per-song random number no
audio property predicts: a model can score on it only by recognising songs it trained on, so it
must stay near zero on grouped splits; a clearly positive control on a grouped split means a leak.
"""

from __future__ import annotations

import math

from bench.cli import terminal
from bench.cli.arguments import add_common, add_run_arguments, run_config
from bench.results.leaderboard import Board, context, fmt
from bench.results.records import RunInfo
from bench.results.stats import Cell
from bench.specs import CommandSpec
from bench_plugins.sources.synth import CUE_COLUMNS

HEARING_SPLITS = ("song", "artist")
CONTROL = "control"


def _value(cell: Cell | None) -> str:
    if cell is None or not cell.records:
        return "–"
    low, high = cell.interval
    return f"{fmt(cell.mean.get('song.r2'), 2)} [{fmt(low, 2)}, {fmt(high, 2)}]"


def hearing_board(cells: list[Cell], info: RunInfo) -> Board:
    """Models x cues: song-level R² [95% CI] of every (model, feature, split) on every cue."""
    cues = [cue for cue in CUE_COLUMNS if any(c.target == cue for c in cells)]
    order = info.split_order
    by = {(c.model, c.feature, c.split, c.target): c for c in cells}
    rows = sorted(
        {(c.model, c.feature, c.split, c.baseline, c.leaky) for c in cells if c.target in cues},
        key=lambda r: (order(r[2]), r[2], not r[3], r[0]),
    )
    board = Board(
        f"hearing test: song-level R² [95% CI] per generating cue — {context(info, cells)}",
        ["model", "feature", "split", *cues],
    )
    for i, (model, feature, split, baseline, leaky) in enumerate(rows):
        board.rows.append(
            [model, feature, f"{split} (leaky)" if leaky else split]
            + [_value(by.get((model, feature, split, cue))) for cue in cues]
        )
        if baseline:
            board.baseline_rows.add(i)
    for column, cue in enumerate(cues, start=3):
        if cue == CONTROL:
            continue
        for split in {r[2] for r in rows}:
            scores = [
                (by[(r[0], r[1], split, cue)].mean.get("song.r2", math.nan), i)
                for i, r in enumerate(rows)
                if r[2] == split and (r[0], r[1], split, cue) in by
            ]
            scores = [s for s in scores if math.isfinite(s[0])]
            if scores:
                board.highlight.add((max(scores)[1], column))
    board.notes.append(
        "Each cue is a number the synthetic corpus was generated from (plugins/sources/synth.py). control is a "
        "per-song random number no audio property predicts: near zero on song and artist splits means no leak; "
        "a model scores on it only on a leaky split, by recognising songs."
    )
    return board


def _arguments(p) -> None:
    add_run_arguments(p, augment=False)
    p.add_argument("--format", choices=["table", "markdown"], default="table", help="print the board as markdown")
    add_common(p)


def cmd_hearing(args) -> int:
    from bench.pipeline.runner import run
    from bench.results.leaderboard import render_markdown, render_rich, run_cells, run_summary

    args.target, args.split = args.target or list(CUE_COLUMNS), args.split or list(HEARING_SPLITS)
    args.all = args.all or not args.model
    console = terminal.console
    store = run(run_config(args), console, resume=args.resume)
    board = hearing_board(run_cells(store), store.run_info())
    if args.format == "markdown":
        print(render_markdown(board))
        return 0
    console.print()
    render_rich(board, console)
    console.print(run_summary(store.run_info()))
    return 0


COMMAND = CommandSpec(
    "hearing",
    "the hearing test: `run` on every generating cue of the synthetic corpus (default: every model, song and "
    "artist splits), then a models x cues board of song-level R²",
    _arguments,
    cmd_hearing,
    reads_source=True,
)
