"""The report's table of the splits' folds: per target, split, seed and fold, how many songs (and
artists, where the source named them) were in train, validation and test, from the records'
`fold_counts`. A record written before that field existed shows "–", except its test songs,
which its song predictions still count."""

from __future__ import annotations

from bench.results.leaderboard import Board
from bench.results.records import RunInfo, TrialRecord
from bench.results.stats import Cell

PARTS = ("train", "validation", "test")
MISSING = "–"


def _count(record: TrialRecord, part: str, what: str) -> int | None:
    if record.fold_counts is not None:
        return record.fold_counts.get(part, {}).get(what)
    if part == "test" and what == "songs" and record.songs is not None:
        return len(set(record.songs.track))
    return None


def _shown(values: set[int | None]) -> str:
    """One count, or the range the trials of one fold spread over (a feature that failed on some
    clips leaves its models fewer songs), or "–" when no record holds it."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return MISSING
    return str(known[0]) if known[0] == known[-1] else f"{known[0]} to {known[-1]}"


def fold_board(cells: list[Cell], target: str, info: RunInfo) -> Board | None:
    """The target's folds as a board; None when it has no finished trial."""
    records = [r for c in cells if c.target == target for r in c.records]
    if not records:
        return None
    folded = any(r.folds for r in records)
    # every song its own group: the source named no artists, and an artist count would be the song count
    artists = info.source.get("groups") is None or info.source.get("groups") != info.source.get("tracks")
    kinds = ["songs", "artists"] if artists else ["songs"]
    columns = ["split", "seed"] + ["fold"] * folded + [f"{part} {kind}" for part in PARTS for kind in kinds]
    board = Board(f"{target}: songs{' and artists' * artists} in each fold", columns)
    by_fold: dict[tuple[str, int, int], list[TrialRecord]] = {}
    for record in records:
        by_fold.setdefault((record.split, record.seed, record.fold), []).append(record)
    for (split, seed, fold), group in sorted(by_fold.items(), key=lambda i: (info.split_order(i[0][0]), i[0])):
        counts = [_shown({_count(r, part, kind) for r in group}) for part in PARTS for kind in kinds]
        board.rows.append([split, str(seed)] + [str(fold)] * folded + counts)
    if any(r.fold_counts is None for r in records):
        board.notes.append(
            f"{MISSING}: recorded by trials run after this field existed; test songs are counted from the predictions."
        )
    if not artists:
        board.notes.append("The source named no artists (every song is its own group): only songs are counted.")
    return board
