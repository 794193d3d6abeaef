"""Names from data print as themselves: never as rich markup, a terminal control sequence, raw
HTML in markdown, or a spreadsheet formula in CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fake_runs import trial, write_run
from rich.console import Console

from bench.cli.validate import Report, render
from bench.results.export import export
from bench.results.leaderboard import Board, render_markdown, render_rich
from bench.results.store import RunStore
from bench.specs import Catalog, Problem, Target, Track

HOSTILE = ["dup [/]", "[bold]loud[/bold]", "broken [live].wav", "<svg onload=1>", "=cmd|' /C calc'!A0"]


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=400, color_system=None), out


def _board() -> Board:
    board = Board("danceability [x]: <b>", ["model", "score"])
    board.rows = [[name, "0.5"] for name in HOSTILE]
    board.highlight = {(0, 0)}
    board.notes = ["a note [/]"]
    return board


def test_the_rich_board_prints_names_verbatim():
    console, out = _console()
    render_rich(_board(), console)
    text = out.getvalue()
    assert all(name in text for name in HOSTILE) and "a note [/]" in text


CONTROLS = ["title\x1b]0;pwned\x07", "red\x1b[31m.wav", "abc\u202egpj.wav", "nul\x00id"]
SHOWN = ["title\\x1b]0;pwned\\x07", "red\\x1b[31m.wav", "abc\\u202egpj.wav", "nul\\x00id"]


def test_control_characters_in_names_are_shown_as_escapes_on_the_board_and_in_validate():
    board = Board("danceability", ["model", "score"])
    board.rows = [[name, "0.5"] for name in CONTROLS]
    console, out = _console()
    render_rich(board, console)
    track = Track(CONTROLS[3], "a", Path("/x/" + CONTROLS[1]), {"danceability": 0.5})
    catalog = Catalog([track], {"danceability": Target("danceability")}, description=CONTROLS[0])
    problem = Problem("/x/" + CONTROLS[1], f"duplicate id {CONTROLS[3]!r}", "fatal")
    render(Report(catalog, {}, [problem], []), [], console)
    text = out.getvalue()
    assert not any(c in text for c in "\x1b\x07\x00\u202e")
    assert all(name in text for name in SHOWN[:3])


def test_markdown_escapes_raw_html():
    text = render_markdown(_board())
    assert "<svg" not in text and "&lt;svg onload=1&gt;" in text and "<b>" not in text


def test_csv_cells_cannot_start_a_formula(tmp_path):
    names = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
    records = [trial(name, 0, [0.2, 0.5, 0.8], [0.3, 0.5, 0.7]) for name in names]
    for record, name in zip(records, names):
        record["id"] = f"danceability--{name}--dsp--song--seed0"
    text = export(RunStore(write_run(tmp_path / "r", records)), "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows[1:] for cell in row if isinstance(cell, str)]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or c.startswith("-") and not _number(c)]
    assert {row[1] for row in rows[1:]} == {f"'{name}".replace("\r", "\n") for name in names}


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_validate_prints_ids_and_files_as_they_are():
    track = Track("dup [/]", "a", Path("/x/broken [live].wav"), {"danceability": 0.5})
    catalog = Catalog([track], {"danceability": Target("danceability")}, description="[red]src")
    problems = [Problem("/x/broken [live].wav", "duplicate id 'dup [/]'", "fatal")]
    console, out = _console()
    render(Report(catalog, {}, problems, []), [], console)
    text = out.getvalue()
    assert "broken [live].wav" in text and "duplicate id 'dup [/]'" in text and "[red]src" in text


def test_report_markdown_escapes_raw_html_in_names(tmp_path):
    from bench.results.report import write_report

    name = "<svg onload=1>"
    records = [trial(name, 0, [0.2, 0.5, 0.8, 0.4], [0.3, 0.5, 0.7, 0.4])]
    records[0]["id"] = f"danceability--{name}--dsp--song--seed0"
    failed = {**records[0], "id": "danceability--<img src=x>--dsp--song--seed0", "model": "<img src=x>"}
    failed.update(status="failed", error="<script>alert(1)</script>")
    failed.pop("metrics")
    paths = write_report(RunStore(write_run(tmp_path / "r", [records[0], failed])))
    for kind in ("markdown", "html"):
        text = paths[kind].read_text()
        assert "<svg" not in text and "<img src=x>" not in text and "<script>alert" not in text


def test_report_shows_control_characters_in_names_as_escapes(tmp_path):
    from bench.results.report import write_report

    name = "evil\x1b[31m\u202eledom"
    records = [trial(name, 0, [0.2, 0.5, 0.8, 0.4], [0.3, 0.5, 0.7, 0.4])]
    records[0]["id"] = "danceability--evil--dsp--song--seed0"
    paths = write_report(RunStore(write_run(tmp_path / "r", records)))
    for kind in ("markdown", "html"):
        text = paths[kind].read_text()
        assert "\x1b" not in text and "\u202e" not in text, kind
        assert "evil\\x1b[31m\\u202eledom" in text, kind


def test_every_report_figure_draws_a_name_as_written(tmp_path):
    """A `$` pair in a name is text, not mathtext (an unbalanced `\\frac` stopped the report),
    and a control character is drawn as its escape (no missing-glyph warning)."""
    import warnings

    from bench.results.report import write_report

    name = "loud $\\frac$ v2\x1b"
    true, pred = [0.2, 0.5, 0.8, 0.4, 0.6], [0.3, 0.5, 0.7, 0.4, 0.5]
    records = [trial(model, seed, true, pred, baseline=model == "mean") for model in (name, "mean") for seed in (0, 1)]
    for record in records:
        stem = "mean" if record["model"] == "mean" else "odd"
        record["id"] = f"danceability--{stem}--dsp--song--seed{record['seed']}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = write_report(RunStore(write_run(tmp_path / "r", records)))
    assert "loud $\\frac$ v2\\x1b" in paths["markdown"].read_text()
    assert len(list((tmp_path / "r" / "report-figures").glob("*.png"))) >= 4
